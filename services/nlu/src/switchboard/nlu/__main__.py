"""Entry point: ``python -m switchboard.nlu``."""

from __future__ import annotations

from switchboard.core.runtime import serve
from switchboard.core.settings import load_settings
from switchboard.nlu.app import build
from switchboard.nlu.settings import Settings


def main() -> None:
    settings = load_settings(Settings)
    serve("nlu", settings, lambda runtime: build(runtime, settings))


if __name__ == "__main__":
    main()
