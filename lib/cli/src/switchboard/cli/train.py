"""``switchboard train``: validates, then trains each tenant's NLU model and dialogue model.

NLU trains in this process (``switchboard.nlu.train``, services environment); the dialogue model
trains in the dialogue environment's Python (Rasa 3.6 on 3.10) with ``switchboard.dialogue.train``.
A running system picks both up without a restart.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from switchboard.cli import paths, validate
from switchboard.cli.output import say, warn


@dataclass(frozen=True, slots=True)
class TrainRequest:
    tenants_dir: Path
    tenant_ids: list[str]
    encoder: str
    nlu: bool = True
    dialogue: bool = True


def _train_nlu(request: TrainRequest, tenant: str) -> str:
    from switchboard.nlu.train import main as train_nlu

    argv = ["--tenant", tenant, "--tenants-dir", str(request.tenants_dir), "--models-dir", str(paths.nlu_models_dir())]
    report = io.StringIO()
    # The NLU trainer reports on stderr and logs on stdout; its summary is kept for our output, the progress is ours.
    with contextlib.redirect_stderr(report), contextlib.redirect_stdout(io.StringIO()):
        code = train_nlu([*argv, "--encoder", request.encoder])
    lines = [
        line.removeprefix(f"{tenant}: ")
        for line in report.getvalue().splitlines()
        if line.startswith((f"{tenant}:", "cascade:"))
    ]
    if code != 0:
        raise RuntimeError(report.getvalue().strip() or f"exit {code}")
    return "; ".join(lines) or "trained"


def _train_dialogue(request: TrainRequest, tenant: str) -> str:
    python = paths.dialogue_python()
    if not python.exists():
        raise RuntimeError(f"no dialogue environment at {python}: run `PYTHONPATH=tools python3 -m devstack install`")
    argv = [str(python), "-m", "switchboard.dialogue.train", "--no-progress", "--tenant", tenant]
    argv += ["--tenants-dir", str(request.tenants_dir), "--cache-dir", str(paths.dialogue_cache_dir())]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError((done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
    last = done.stdout.strip().splitlines()[-1]
    return f"dialogue model {last.split(': ', 1)[-1]}"


def run(request: TrainRequest) -> int:
    code, reports = validate.run(request.tenants_dir, request.tenant_ids, warnings=False)
    valid = [report.tenant_id for report in reports if report.ok]
    if code != 0:
        warn("tenants with errors are not trained; fix them and run again")
    steps = [(tenant, kind) for tenant in valid for kind in ("nlu", "dialogue") if getattr(request, kind)]
    failed = False
    with tqdm(total=len(steps), desc="training", unit="step") as bar:
        for tenant, kind in steps:
            bar.set_postfix_str(f"{tenant} {kind}")
            try:
                summary = _train_nlu(request, tenant) if kind == "nlu" else _train_dialogue(request, tenant)
                bar.write(f"{tenant}: {kind}: {summary}")
            except Exception as error:  # noqa: BLE001 - one tenant's failure is reported; the others still train
                failed = True
                bar.write(f"{tenant}: {kind} failed: {error}")
            bar.update(1)
    say(f"trained {len(valid)} tenant{'s' * (len(valid) != 1)}: {', '.join(valid) or 'none'}")
    return 1 if failed or code != 0 else 0
