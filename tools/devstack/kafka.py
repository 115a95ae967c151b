"""Apache Kafka 4.0.2 in KRaft mode (one combined broker and controller), run from Maven Central jars.

``install()`` resolves ``infra/kafka/pom.xml`` into ``<cache>/kafka-4.0.2/libs``; ``up(profile)`` formats
the profile's data dir once, starts the broker and returns its bootstrap address once a real
ApiVersions and Metadata round trip shows the broker registered.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import socket
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from devstack import lifecycle, net, paths, procs, profiles, progress
from devstack.errors import DevstackError
from devstack.profiles import Profile

VERSION = "4.0.2"
NAME = "kafka"
NODE_ID = 1
POM = paths.INFRA_DIR / "kafka" / "pom.xml"
LOG4J_CONFIG = paths.INFRA_DIR / "kafka" / "log4j2.properties"
HEAP = ("-Xms512m", "-Xmx1g")
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0

API_METADATA = 3
API_VERSIONS = 18
METADATA_VERSION = 4  # non-flexible (no tagged fields) and still served by Kafka 4.0
CLIENT_ID = "switchboard-devstack"


# --- installation -------------------------------------------------------------------------


def install_dir() -> Path:
    return paths.cache_dir() / f"kafka-{VERSION}"


def libs_dir() -> Path:
    return install_dir() / "libs"


def _marker() -> Path:
    return install_dir() / ".installed"


def _pom_hash() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def is_installed() -> bool:
    """True when the jars were copied from the current pom.xml (a pom change forces a reinstall)."""
    marker = _marker()
    return (
        marker.is_file()
        and marker.read_text().strip() == _pom_hash()
        and (libs_dir() / f"kafka_2.13-{VERSION}.jar").is_file()
    )


def install() -> float | None:
    """Copy Kafka's runtime jars into the cache; return seconds taken, or None if already installed."""
    if is_installed():
        return None
    mvn = _require("mvn", "Maven (apt-get install maven)")
    _require("java", "a Java 17+ runtime (apt-get install openjdk-17-jre-headless)")
    shutil.rmtree(libs_dir(), ignore_errors=True)
    _marker().unlink(missing_ok=True)
    argv = [
        mvn,
        "-B",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={libs_dir()}",
    ]
    log = paths.cache_dir() / "logs" / "kafka-install.log"
    elapsed = progress.run_logged(f"download Kafka {VERSION} jars from Maven Central (mvn)", argv, log)
    if not (libs_dir() / f"kafka_2.13-{VERSION}.jar").is_file():
        raise DevstackError(f"Maven finished but kafka_2.13-{VERSION}.jar is missing from {libs_dir()}; see {log}")
    _marker().write_text(_pom_hash() + "\n")
    return elapsed


def _require(tool: str, what: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise DevstackError(f"{tool!r} not found on PATH; install {what}")
    return found


# --- configuration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """Where one profile's broker keeps its files."""

    home: Path
    data: Path
    properties: Path
    logs: Path
    server_log: Path
    stdout_log: Path

    @classmethod
    def of(cls, profile: Profile) -> Layout:
        home = profile.state_dir / NAME
        logs = paths.logs_dir(profile.name)
        return cls(
            home=home,
            data=home / "data",
            properties=home / "server.properties",
            logs=logs,
            server_log=logs / "kafka-server.log",
            stdout_log=procs.log_path(NAME, profile.name),
        )


def server_properties(port: int, controller_port: int, data_dir: Path, node_id: int = NODE_ID) -> str:
    """``server.properties`` for a single-node KRaft cluster listening on 127.0.0.1 only."""
    listeners = f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller_port}",
        "listeners": listeners,
        "advertised.listeners": listeners,
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "1",
        # Topics are declared in code and created explicitly; a typo must not create a topic.
        "auto.create.topics.enable": "false",
        # One broker: internal topics cannot have more than one replica.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # The default 50 offsets partitions only delay the first consumer group join on one broker.
        "offsets.topic.num.partitions": "1",
        # No other members will join; do not hold the first consumer group rebalance back.
        "group.initial.rebalance.delay.ms": "0",
    }
    lines = ["# Generated by tools/devstack; edits are overwritten on the next start."]
    lines += [f"{key}={_escape_property(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _escape_property(value: str) -> str:
    """Escape for java.util.Properties: backslashes are escapes, leading blanks are dropped."""
    escaped = value.replace("\\", "\\\\")
    return "\\" + escaped if escaped[:1] in (" ", "\t") else escaped


def _java_argv(main_class: str, *args: str, layout: Layout, log_name: str, heap: tuple[str, ...] = ()) -> list[str]:
    return [
        "java",
        *heap,
        "-cp",
        f"{libs_dir()}/*",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        f"-Dkafka.logs.dir={layout.logs}",
        f"-Dkafka.log.name={log_name}",
        "-Djava.awt.headless=true",
        main_class,
        *args,
    ]


def new_cluster_id() -> str:
    """A cluster id as ``kafka-storage random-uuid`` prints it, without paying for a JVM start.

    Kafka's Uuid is a random UUID in URL-safe base64 without padding; Kafka rejects the all-zero
    and the metadata topic's reserved ids and never hands out one starting with '-' (CLI flag).
    """
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        if not text.startswith("-") and int.from_bytes(raw, "big") > 1:
            return text


def _ensure_formatted(layout: Layout) -> None:
    """Format the metadata log once; an existing meta.properties means it is formatted."""
    if (layout.data / "meta.properties").is_file():
        return
    layout.data.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cluster_id = new_cluster_id()
    argv = _java_argv(
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "-t",
        cluster_id,
        "-c",
        str(layout.properties),
        layout=layout,
        log_name="kafka-storage",
    )
    progress.run_checked(argv, "kafka-storage format")
    progress.say(f"    formatted {layout.data} (cluster {cluster_id}) in {time.monotonic() - started:.1f}s")


# --- lifecycle ----------------------------------------------------------------------------


def server(profile: Profile) -> lifecycle.Server:
    """This profile's broker as the shared start/wait/stop steps see it."""
    layout = Layout.of(profile)
    return lifecycle.Server(
        name=NAME,
        profile=profile,
        address=profile.kafka_bootstrap,
        port=profile.kafka_port,
        probe=probe,
        ready_timeout_s=READY_TIMEOUT_S,
        stop_timeout_s=STOP_TIMEOUT_S,
        logs=(layout.stdout_log, layout.server_log),
    )


def up(profile: Profile | str) -> str:
    """Install if needed, start the broker unless it runs, wait until it serves; return ``host:port``."""
    return lifecycle.up(server(profiles.resolve(profile)), install=install, start=_start)


def _start(profile: Profile) -> int:
    layout = Layout.of(profile)
    _check_ports_free(profile)
    if profile.fresh_state:
        _wipe(layout)
    layout.home.mkdir(parents=True, exist_ok=True)
    layout.logs.mkdir(parents=True, exist_ok=True)
    layout.properties.write_text(server_properties(profile.kafka_port, profile.kafka_controller_port, layout.data))
    _ensure_formatted(layout)
    argv = _java_argv("kafka.Kafka", str(layout.properties), layout=layout, log_name=layout.server_log.stem, heap=HEAP)
    return procs.start(NAME, argv, cwd=layout.home, profile=profile.name)


def down(profile: Profile | str) -> int | None:
    """Stop the broker we started (controlled shutdown on SIGTERM); return its pid or None."""
    return lifecycle.down(server(profiles.resolve(profile)))


def status(profile: Profile | str) -> procs.Status:
    """Whether this profile's broker runs and lists itself in Metadata."""
    return lifecycle.status(server(profiles.resolve(profile)))


def _check_ports_free(profile: Profile) -> None:
    for port, var in (
        (profile.kafka_port, "SWITCHBOARD_KAFKA_PORT"),
        (profile.kafka_controller_port, "SWITCHBOARD_KAFKA_CONTROLLER_PORT"),
    ):
        if net.port_in_use(port):
            raise DevstackError(f"port {port} is in use by another process; stop it or set {var}")


def _wipe(layout: Layout) -> None:
    shutil.rmtree(layout.home, ignore_errors=True)
    layout.stdout_log.unlink(missing_ok=True)
    for log in ("kafka-server.log*", "kafka-storage.log*"):
        for path in layout.logs.glob(log):
            path.unlink(missing_ok=True)


# --- wire protocol (readiness probe) ------------------------------------------------------


def probe(host: str, port: int, timeout: float = 2.0) -> bool:
    """True once the broker answers ApiVersions and lists itself in Metadata (registered and unfenced)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(encode_request(API_VERSIONS, 0, 1))
        versions = decode_api_versions_v0(_read_frame(sock), correlation_id=1)
        low, high = versions.get(API_METADATA, (1, 0))
        if not low <= METADATA_VERSION <= high:
            raise ValueError(f"broker does not serve Metadata v{METADATA_VERSION} (serves {low}..{high})")
        sock.sendall(encode_request(API_METADATA, METADATA_VERSION, 2, encode_metadata_v4_body()))
        brokers = decode_metadata_v4_brokers(_read_frame(sock), correlation_id=2)
    return any(node_id == NODE_ID for node_id, _host, _port in brokers)


def encode_request(api_key: int, api_version: int, correlation_id: int, body: bytes = b"") -> bytes:
    """A size-prefixed request with header v1 (api key, version, correlation id, client id)."""
    client = CLIENT_ID.encode()
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client)) + client
    return struct.pack(">i", len(header) + len(body)) + header + body


def encode_metadata_v4_body() -> bytes:
    """Metadata v4 asking about no topics (empty array) without auto-creating any."""
    return struct.pack(">i?", 0, False)


class _Reader:
    """Big-endian cursor over a response; running out of bytes is a ValueError."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ValueError("truncated Kafka response")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def int16(self) -> int:
        return self.take(">h")[0]

    def int32(self) -> int:
        return self.take(">i")[0]

    def string(self) -> str | None:
        length = self.int16()
        if length < 0:
            return None
        if self.pos + length > len(self.data):
            raise ValueError("truncated Kafka response")
        value = self.data[self.pos : self.pos + length].decode()
        self.pos += length
        return value


def _response(payload: bytes, correlation_id: int) -> _Reader:
    reader = _Reader(payload)
    got = reader.int32()
    if got != correlation_id:
        raise ValueError(f"correlation id {got} does not match request {correlation_id}")
    return reader


def decode_api_versions_v0(payload: bytes, correlation_id: int) -> dict[int, tuple[int, int]]:
    """ApiVersions v0 response (without its size prefix) as {api_key: (min_version, max_version)}."""
    reader = _response(payload, correlation_id)
    error = reader.int16()
    if error != 0:
        raise ValueError(f"ApiVersions error code {error}")
    count = reader.int32()
    return {key: (low, high) for key, low, high in (reader.take(">hhh") for _ in range(max(count, 0)))}


def decode_metadata_v4_brokers(payload: bytes, correlation_id: int) -> list[tuple[int, str, int]]:
    """The broker list of a Metadata v4 response as (node_id, host, port); topics are not parsed."""
    reader = _response(payload, correlation_id)
    reader.int32()  # throttle_time_ms
    brokers = []
    for _ in range(max(reader.int32(), 0)):
        node_id = reader.int32()
        host = reader.string() or ""
        port = reader.int32()
        reader.string()  # rack
        brokers.append((node_id, host, port))
    return brokers


def _read_frame(sock: socket.socket) -> bytes:
    (size,) = struct.unpack(">i", net.recv_exact(sock, 4))
    if not 0 <= size <= 16 * 1024 * 1024:
        raise ValueError(f"implausible Kafka frame size {size}")
    return net.recv_exact(sock, size)
