"""Make ``import devstack`` work when pytest is run from the repo root without PYTHONPATH=tools."""

import sys
from pathlib import Path

TOOLS_DIR = str(Path(__file__).resolve().parents[2])
if TOOLS_DIR not in sys.path:
    sys.path.insert(0, TOOLS_DIR)
