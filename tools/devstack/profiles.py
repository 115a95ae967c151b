"""Named port and state layouts, so a test stack can run beside the dev stack."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from devstack import paths
from devstack.errors import DevstackError

# Environment variables that override the selected profile's ports.
PORT_OVERRIDES = {
    "kafka_port": "SWITCHBOARD_KAFKA_PORT",
    "kafka_controller_port": "SWITCHBOARD_KAFKA_CONTROLLER_PORT",
    "mongo_port": "SWITCHBOARD_MONGO_PORT",
}
# Runs a second copy of a profile beside the first (own state dir under .run/); combine with the
# port overrides above, e.g. two test runs at once on one machine.
INSTANCE_VAR = "SWITCHBOARD_INSTANCE"


@dataclass(frozen=True, slots=True)
class Profile:
    """Ports and state location of one local stack.

    Attributes:
        name: Profile name; also the state directory's name under ``.run/``.
        kafka_port: Kafka client (PLAINTEXT) listener.
        kafka_controller_port: KRaft controller listener.
        mongo_port: FerretDB's MongoDB wire-protocol listener.
        fresh_state: Wipe a component's data before starting it, for a clean slate per test run.
    """

    name: str
    kafka_port: int
    kafka_controller_port: int
    mongo_port: int
    fresh_state: bool = False

    @property
    def state_dir(self) -> Path:
        return paths.state_dir(self.name)

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongo_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongo_port}/"


BUILTIN = {
    "dev": Profile("dev", kafka_port=9092, kafka_controller_port=9093, mongo_port=27017),
    "test": Profile("test", kafka_port=19092, kafka_controller_port=19093, mongo_port=27117, fresh_state=True),
}
NAMES = tuple(BUILTIN)


def get(name: str, environ: dict[str, str] | None = None) -> Profile:
    """The named profile with port overrides from the environment applied."""
    try:
        profile = BUILTIN[name]
    except KeyError:
        raise DevstackError(f"unknown profile {name!r}; choose one of {', '.join(NAMES)}") from None
    env = os.environ if environ is None else environ
    overrides: dict[str, object] = {
        field: _port(env[var], var) for field, var in PORT_OVERRIDES.items() if env.get(var)
    }
    instance = env.get(INSTANCE_VAR, "")
    if instance:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}", instance):
            raise DevstackError(f"{INSTANCE_VAR}={instance!r}: use lowercase letters, digits and '-'")
        overrides["name"] = f"{name}-{instance}"
    profile = replace(profile, **overrides)
    ports = (profile.kafka_port, profile.kafka_controller_port, profile.mongo_port)
    if len(set(ports)) != len(ports):
        raise DevstackError(f"profile {name}: Kafka, Kafka controller and Mongo ports must differ, got {ports}")
    return profile


def resolve(profile: Profile | str) -> Profile:
    """Accept a profile or its name, so callers can write ``kafka.up("test")``."""
    return profile if isinstance(profile, Profile) else get(profile)


def _port(value: str, var: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise DevstackError(f"{var}={value!r} is not a port number") from None
    if not 0 < port < 65536:
        raise DevstackError(f"{var}={port} is outside 1..65535")
    return port
