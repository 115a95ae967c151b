"""Entry point: ``python -m switchboard.handoff``."""

from __future__ import annotations

from switchboard.core.runtime import serve
from switchboard.core.settings import load_settings
from switchboard.handoff.app import build
from switchboard.handoff.settings import Settings


def main() -> None:
    settings = load_settings(Settings)
    serve("handoff", settings, lambda runtime: build(runtime, settings))


if __name__ == "__main__":
    main()
