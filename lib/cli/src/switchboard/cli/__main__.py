"""``python -m switchboard.cli``: the one entry point."""

from switchboard.cli.main import main

raise SystemExit(main())
