"""Entry point: ``python -m switchboard.dialogue``."""

from __future__ import annotations

from switchboard.core.runtime import serve
from switchboard.core.settings import load_settings
from switchboard.dialogue.app import build
from switchboard.dialogue.settings import Settings


def main() -> None:
    settings = load_settings(Settings)
    serve("dialogue", settings, lambda runtime: build(runtime, settings))


if __name__ == "__main__":
    main()
