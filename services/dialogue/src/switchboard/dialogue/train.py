"""Trains tenants' dialogue models ahead of serving, so no service start waits for Rasa.

    python -m switchboard.dialogue.train --tenant demo [--tenant shop] [--cache-dir .run/models]

The model lands in the cache the dialogue service reads (keyed by the project's hash, so an
unchanged project is not retrained); the last stdout line per tenant is ``<tenant>: <model path>``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from switchboard.dialogue.errors import DialoguePermanentError
from switchboard.dialogue.model import ensure_model
from switchboard.dialogue.settings import AssistantSettings


def main(argv: list[str] | None = None) -> int:
    defaults = AssistantSettings()
    parser = argparse.ArgumentParser(description="Train (or find cached) dialogue models of tenants' Rasa projects.")
    parser.add_argument("--tenant", action="append", required=True, help="tenant id (repeat for several)")
    parser.add_argument("--tenants-dir", type=Path, default=Path(defaults.tenants_dir))
    parser.add_argument("--cache-dir", type=Path, default=Path(defaults.cache_dir))
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (output read by a program)")
    args = parser.parse_args(argv)
    failed = 0
    for tenant in args.tenant:
        try:
            path = ensure_model(args.tenants_dir / tenant, args.cache_dir, show_progress=not args.no_progress)
        except DialoguePermanentError as error:
            sys.stderr.write(f"{tenant}: {error}\n")
            failed += 1
            continue
        except Exception as error:  # noqa: BLE001 - Rasa's own errors for a bad project; the other tenants still train
            sys.stderr.write(f"{tenant}: Rasa could not train it: {type(error).__name__}: {error}\n")
            failed += 1
            continue
        sys.stdout.write(f"{tenant}: {path}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
