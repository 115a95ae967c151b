"""Command line: ``PYTHONPATH=tools python3 -m devstack <command>``; ``--help`` lists the commands.

To add a command, write ``def cmd_x(args) -> int`` and register it in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from devstack import browser, ferretdb, kafka, procs, profiles, pyenvs, stack
from devstack.errors import DevstackError
from devstack.progress import err, say

INFRA = (kafka, ferretdb)


@dataclass(frozen=True, slots=True)
class Command:
    """A subcommand: its handler, one-line help and the arguments it takes."""

    run: Callable[[argparse.Namespace], int]
    help: str
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


def profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=profiles.NAMES, default="dev", help="which stack (default: dev)")


def optional_profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=profiles.NAMES, help="one stack only (default: all)")


def cmd_install_infra(args: argparse.Namespace) -> int:
    started = time.monotonic()
    timings = {
        f"Kafka {kafka.VERSION} jars ({kafka.libs_dir()})": kafka.install(),
        f"FerretDB {ferretdb.VERSION} ({ferretdb.binary()})": ferretdb.install(),
    }
    for what, seconds in timings.items():
        say(f"{what}: {'already installed' if seconds is None else f'installed in {seconds:.1f}s'}")
    say(f"install-infra done in {time.monotonic() - started:.1f}s")
    return 0


def cmd_install_browser(args: argparse.Namespace) -> int:
    seconds = browser.ensure()
    say(f"chromium ({browser.BINARY}): {'already installed' if seconds is None else f'installed in {seconds:.1f}s'}")
    return 0


def cmd_infra_up(args: argparse.Namespace) -> int:
    profile = profiles.get(args.profile)
    started = time.monotonic()
    for component in INFRA:
        component.install()
    with procs.profile_lock(profile.name):
        bootstrap = kafka.up(profile)
        mongo_uri = ferretdb.up(profile)
    say(f"infra ({profile.name}) up in {time.monotonic() - started:.1f}s")
    say(f"  KAFKA_BOOTSTRAP_SERVERS={bootstrap}")
    say(f"  MONGO_URI={mongo_uri}")
    return 0


def cmd_infra_down(args: argparse.Namespace) -> int:
    profile = profiles.get(args.profile)
    with procs.profile_lock(profile.name):
        for component in reversed(INFRA):
            pid = component.down(profile)
            name = component.NAME
            say(f"{name} ({profile.name}): {'stopped pid ' + str(pid) if pid else 'was not running'}")
    return 0


def cmd_infra_status(args: argparse.Namespace) -> int:
    for component in INFRA:
        say(f"{component.NAME}: {'installed' if component.is_installed() else 'not installed'}")
    for name in [args.profile] if args.profile else profiles.NAMES:
        profile = profiles.get(name)
        for component in INFRA:
            status = component.status(profile)
            if status.pid is None:
                state = "stopped"
            else:
                state = f"running pid {status.pid}, {'ready' if status.ready else 'NOT ready'}"
            say(f"  {name:5} {status.name:9} {status.address:28} {state}")
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    for what, seconds in stack.install().items():
        say(f"  {what}: {seconds:.1f}s")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    stack.up()
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stack.down()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    stack.status()
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    return stack.test(args.pytest_args)


def cmd_lint(args: argparse.Namespace) -> int:
    return stack.lint()


def cmd_lock(args: argparse.Namespace) -> int:
    for env in pyenvs.ENVIRONMENTS.values():
        pyenvs.relock(env)
    return 0


def cmd_infra_env(args: argparse.Namespace) -> int:
    stack.infra_env(profiles.get(args.profile))
    return 0


def cmd_clean_state(args: argparse.Namespace) -> int:
    stack.clean_state()
    return 0


def pytest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help="extra arguments for pytest")


COMMANDS: dict[str, Command] = {
    "install": Command(cmd_install, "install the Python environments, Kafka and FerretDB (idempotent)"),
    "up": Command(cmd_up, "install what is missing and start Kafka, FerretDB and the five services"),
    "down": Command(cmd_down, "stop the services, Kafka and FerretDB that `up` started"),
    "status": Command(cmd_status, "what runs in each stack"),
    "test": Command(cmd_test, "run every test against a private test stack", pytest_arguments),
    "lint": Command(cmd_lint, "ruff check and ruff format --check over the repository (pinned ruff)"),
    "lock": Command(cmd_lock, "re-resolve requirements/*.in into requirements/*.lock"),
    "infra-env": Command(cmd_infra_env, "print the test-harness variables of a stack", profile_argument),
    "clean-state": Command(cmd_clean_state, "delete .run/ (data and logs of stopped stacks)"),
    "install-browser": Command(cmd_install_browser, "install Debian's chromium for the browser tests (idempotent)"),
    "install-infra": Command(cmd_install_infra, "download Kafka jars and build FerretDB into the cache"),
    "infra-up": Command(cmd_infra_up, "start Kafka and FerretDB and wait until they serve", profile_argument),
    "infra-down": Command(cmd_infra_down, "stop the Kafka and FerretDB this tool started", profile_argument),
    "infra-status": Command(cmd_infra_status, "show what is installed and running", optional_profile_argument),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devstack", description="Switchboard's local stack manager.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        command.arguments(sub)
        sub.set_defaults(handler=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DevstackError as exc:
        err(str(exc))
        return 1
    except KeyboardInterrupt:
        err("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
