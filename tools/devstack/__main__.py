"""Command line: ``PYTHONPATH=tools python3 -m devstack <command>``; ``--help`` lists the commands.

To add a command, write ``def cmd_x(args) -> int`` and register it in ``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from devstack import ferretdb, kafka, procs, profiles
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


COMMANDS: dict[str, Command] = {
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
