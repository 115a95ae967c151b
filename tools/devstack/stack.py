"""The whole local system and the test run: what `make up`, `make down` and `make test` do."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from xml.etree import ElementTree

from devstack import browser, ferretdb, kafka, paths, procs, profiles, pyenvs, services
from devstack.errors import DevstackError
from devstack.profiles import Profile
from devstack.progress import run_checked, say

INFRA = (kafka, ferretdb)
TEST_KAFKA_ENV = "SWITCHBOARD_TEST_KAFKA_BOOTSTRAP"
TEST_MONGO_ENV = "SWITCHBOARD_TEST_MONGO_URI"

# The lint gate, run by the services environment's pinned ruff; pyproject.toml holds the configuration.
LINT_COMMANDS = (("check", "."), ("format", "--check", "."))


# Which tests run in which environment. The dialogue environment also runs the shared unit and
# contract tests, because the shared package must work on its pydantic 1 / protobuf 4 pins too.
def _tenant_tests(environment: str) -> list[str]:
    """A tenant's own tests: ``tenants/<id>/tests/<environment>/`` runs in that environment."""
    folders = sorted(paths.REPO_ROOT.glob(f"tenants/*/tests/{environment}"))
    return [folder.relative_to(paths.REPO_ROOT).as_posix() for folder in folders]


TEST_SUITES = {
    "services": ["tests", "lib/core/tests", "lib/cli/tests", "tools/devstack/tests"]
    + [f"services/{name}/tests" for name in ("ingest", "nlu", "generator", "handoff")]
    + ["bench/ingest/tests", "bench/nlu/tests", "bench/generator/tests", "bench/quality/tests"]
    + _tenant_tests("services"),
    "dialogue": [
        "services/dialogue/tests",
        "lib/core/tests/unit",
        "tests/contract",
        "bench/dialogue/tests",
        "bench/tenancy/tests",
        *_tenant_tests("dialogue"),
    ],
}


def install() -> dict[str, float]:
    """Installs everything missing; returns seconds per step."""
    timings: dict[str, float] = {}
    for name, env in pyenvs.ENVIRONMENTS.items():
        started = time.monotonic()
        pyenvs.ensure(env)
        timings[f"python env {name}"] = time.monotonic() - started
    for component in INFRA:
        started = time.monotonic()
        component.install()
        timings[component.NAME] = time.monotonic() - started
    return timings


def lint(python: Path | None = None) -> int:
    """Runs every lint command over the repository; 0 when all are clean, else 1."""
    python = python or pyenvs.ensure(pyenvs.ENVIRONMENTS["services"])
    failed = []
    for arguments in LINT_COMMANDS:
        say(f"==> ruff {' '.join(arguments)}")
        if subprocess.run([str(python), "-m", "ruff", *arguments], cwd=paths.REPO_ROOT, check=False).returncode:
            failed.append(f"ruff {' '.join(arguments)}")
    say(f"==> lint: {'FAILED (' + ', '.join(failed) + ')' if failed else 'clean'}")
    return 1 if failed else 0


def infra_up(profile: Profile) -> tuple[str, str]:
    with procs.profile_lock(profile.name):
        return kafka.up(profile), ferretdb.up(profile)


def infra_down(profile: Profile) -> None:
    with procs.profile_lock(profile.name):
        for component in reversed(INFRA):
            component.down(profile)


def up() -> None:
    profile = profiles.get("dev")
    started = time.monotonic()
    install()
    bootstrap, mongo_uri = infra_up(profile)
    seed_tenants(mongo_uri)
    say(f"==> starting the services (logs in {paths.logs_dir(profile.name)})")
    services.up(profile)
    say(f"\nSwitchboard is up in {time.monotonic() - started:.0f}s.")
    say(f"  Kafka      {bootstrap}")
    say(f"  MongoDB    {mongo_uri} (FerretDB)")
    for spec in services.SERVICES:
        grpc = f", gRPC 127.0.0.1:{spec.grpc_port}" if spec.grpc_port else ""
        say(f"  {spec.name:10} {spec.readyz}{grpc}")
    say(f"  traces     {profile.state_dir / 'traces.jsonl'}")
    say("  tenants    tenants/*/tenant.yaml, loaded into the database (demo tenant: tenants/demo/)")
    say("\nTry it:")
    say("  web chat       http://127.0.0.1:8080/chat")
    say("  agent console  http://127.0.0.1:8081/console  (tenant demo; demo credentials in services/handoff/README.md)")
    say("  REST webhook   http://127.0.0.1:8080/webhooks/rest/webhook  (demo API key in tenants/demo/channels.yaml)")
    say("Stop everything with: make down")


def seed_tenants(mongo_uri: str) -> None:
    """Loads tenants/*/tenant.yaml into the database (an idempotent upsert)."""
    python = pyenvs.ENVIRONMENTS["services"].interpreter
    argv = [str(python), "-m", "switchboard.core.tenants", "seed", "--dir", str(paths.REPO_ROOT / "tenants")]
    say("    " + run_checked([*argv, "--mongo-uri", mongo_uri], "loading the tenants").strip())


def down() -> None:
    profile = profiles.get("dev")
    services.down(profile)
    infra_down(profile)
    say("Switchboard is down.")


def status() -> None:
    for name in profiles.NAMES:
        profile = profiles.get(name)
        for component in INFRA:
            state = component.status(profile)
            say(f"  {name:5} {state.name:9} {state.address:28} {'pid ' + str(state.pid) if state.pid else 'stopped'}")
        for spec in services.SERVICES:
            pid = procs.running(spec.name, name)
            if pid or name == "dev":
                say(f"  {name:5} {spec.name:9} {spec.readyz:28} {'pid ' + str(pid) if pid else 'stopped'}")


def test(pytest_args: list[str]) -> int:
    """Installs, lints, starts a private test stack, runs every suite in its environment, stops the stack.

    A lint finding fails the run but does not stop it: the lint takes seconds and the suites
    minutes, so one run reports both instead of hiding test results behind a formatting nit.
    """
    started = time.monotonic()
    interpreters = {name: pyenvs.ensure(env) for name, env in pyenvs.ENVIRONMENTS.items()}
    lint_code = lint(interpreters["services"])
    for component in INFRA:
        component.install()
    browser.ensure()
    profile = profiles.get("test")
    results: dict[str, int] = {}
    counts: dict[str, dict[str, int]] = {}
    try:
        bootstrap, mongo_uri = infra_up(profile)
        env = {
            **os.environ,
            TEST_KAFKA_ENV: bootstrap,
            TEST_MONGO_ENV: mongo_uri,
            "PYTHONPATH": str(paths.REPO_ROOT / "tools"),
            "SWITCHBOARD_DIALOGUE_PYTHON": str(interpreters["dialogue"]),
            "SWITCHBOARD_SERVICES_PYTHON": str(interpreters["services"]),
        }
        for name, suite in TEST_SUITES.items():
            say(f"==> tests in the {name} environment: {' '.join(suite)}")
            junit = profile.state_dir / f"junit-{name}.xml"
            junit.unlink(missing_ok=True)
            argv = [str(interpreters[name]), "-m", "pytest", *suite, f"--junitxml={junit}", *pytest_args]
            results[name] = subprocess.run(argv, cwd=paths.REPO_ROOT, env=env, check=False).returncode
            counts[name] = junit_counts(junit)
    finally:
        infra_down(profile)
    summary = ", ".join(
        f"{name}: {'passed' if code == 0 else f'FAILED (exit {code})'}"
        for name, code in {"lint": lint_code, **results}.items()
    )
    say(f"==> make test finished in {time.monotonic() - started:.0f}s ({summary})")
    total = {key: sum(c[key] for c in counts.values()) for key in ("passed", "failed", "skipped")}
    say(f"{total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    passed = results and all(code == 0 for code in results.values()) and total["passed"] > 0
    return 0 if passed and lint_code == 0 else 1


def junit_counts(report: Path) -> dict[str, int]:
    """Passed, failed and skipped tests of one pytest JUnit XML report (all zero when it is missing)."""
    if not report.exists():
        return {"passed": 0, "failed": 0, "skipped": 0}
    suites = ElementTree.parse(report).getroot().iter("testsuite")
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return {"passed": tests - failed - skipped, "failed": failed, "skipped": skipped}


def infra_env(profile: Profile) -> None:
    """Prints the test-harness variables for a running stack (used by the pytest plugin)."""
    say(f"{TEST_KAFKA_ENV}={profile.kafka_bootstrap}")
    say(f"{TEST_MONGO_ENV}={profile.mongo_uri}")


def clean_state() -> None:
    for name in profiles.NAMES:
        if any(procs.running(spec.name, name) for spec in services.SERVICES) or any(
            component.status(profiles.get(name)).pid for component in INFRA
        ):
            raise DevstackError(f"the {name} stack is running; stop it first (make down)")
    shutil.rmtree(paths.RUN_DIR, ignore_errors=True)
    say(f"removed {paths.RUN_DIR}")
