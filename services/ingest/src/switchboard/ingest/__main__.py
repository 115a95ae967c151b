"""Entry point: ``python -m switchboard.ingest``."""

from __future__ import annotations

from switchboard.core.runtime import serve
from switchboard.core.settings import load_settings
from switchboard.ingest.app import build
from switchboard.ingest.settings import Settings


def main() -> None:
    settings = load_settings(Settings)
    serve("ingest", settings, lambda runtime: build(runtime, settings))


if __name__ == "__main__":
    main()
