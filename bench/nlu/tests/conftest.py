"""The benchmark's modules live in bench/nlu (run as scripts); make them importable for the tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
