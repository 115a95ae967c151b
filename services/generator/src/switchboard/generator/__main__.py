"""Entry point: ``python -m switchboard.generator``."""

from __future__ import annotations

from switchboard.core.runtime import serve
from switchboard.core.settings import load_settings
from switchboard.generator.app import build
from switchboard.generator.settings import Settings


def main() -> None:
    settings = load_settings(Settings)
    serve("generator", settings, lambda runtime: build(runtime, settings))


if __name__ == "__main__":
    main()
