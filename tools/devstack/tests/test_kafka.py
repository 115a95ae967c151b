"""Kafka: server.properties, cluster ids, the install marker and the ApiVersions/Metadata probe."""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

import pytest
from devstack import kafka


def parse_properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_server_properties_single_node_kraft(tmp_path: Path) -> None:
    props = parse_properties(kafka.server_properties(19092, 19093, tmp_path / "data"))

    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == props["listeners"]
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert "controller.quorum.voters" not in props  # `format --standalone` requires the bootstrap form
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == str(tmp_path / "data")
    assert props["auto.create.topics.enable"] == "false"
    assert props["num.partitions"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
    ):
        assert props[key] == "1"


def test_server_properties_escapes_backslashes() -> None:
    props = parse_properties(kafka.server_properties(9092, 9093, Path("/tmp/a\\b")))
    assert props["log.dirs"] == "/tmp/a\\\\b"


def test_cluster_id_looks_like_kafka_uuid() -> None:
    ids = {kafka.new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert set(cluster_id) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_install_marker_is_keyed_by_pom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_CACHE_DIR", str(tmp_path / "cache"))
    pom = tmp_path / "pom.xml"
    pom.write_text("<project/>")
    monkeypatch.setattr(kafka, "POM", pom)
    kafka.libs_dir().mkdir(parents=True)
    (kafka.libs_dir() / f"kafka_2.13-{kafka.VERSION}.jar").write_bytes(b"")
    assert not kafka.is_installed()

    (kafka.install_dir() / ".installed").write_text(kafka._pom_hash() + "\n")
    assert kafka.is_installed()

    pom.write_text("<project><!-- changed --></project>")
    assert not kafka.is_installed()


def test_encode_api_versions_request() -> None:
    frame = kafka.encode_request(kafka.API_VERSIONS, 0, 7)
    client = kafka.CLIENT_ID.encode()
    assert frame == struct.pack(">ihhih", 10 + len(client), 18, 0, 7, len(client)) + client


def test_encode_metadata_request_asks_for_no_topics() -> None:
    body = kafka.encode_metadata_v4_body()
    assert body == b"\x00\x00\x00\x00\x00"  # empty topic array, allow_auto_topic_creation=false
    frame = kafka.encode_request(kafka.API_METADATA, 4, 2, body)
    assert struct.unpack_from(">ihhi", frame) == (len(frame) - 4, 3, 4, 2)
    assert frame.endswith(body)


def api_versions_response(correlation_id: int, error: int = 0) -> bytes:
    apis = [(0, 3, 12), (3, 0, 12), (18, 0, 4)]
    body = struct.pack(">hi", error, len(apis)) + b"".join(struct.pack(">hhh", *api) for api in apis)
    return struct.pack(">i", correlation_id) + body


def metadata_response(correlation_id: int, brokers: list[tuple[int, str, int]]) -> bytes:
    out = struct.pack(">ii", correlation_id, 0) + struct.pack(">i", len(brokers))
    for node_id, host, port in brokers:
        out += struct.pack(">ih", node_id, len(host)) + host.encode() + struct.pack(">ih", port, -1)
    cluster = b"abc"
    return out + struct.pack(">h", len(cluster)) + cluster + struct.pack(">ii", 1, 0)


def test_decode_api_versions() -> None:
    versions = kafka.decode_api_versions_v0(api_versions_response(5), correlation_id=5)
    assert versions[3] == (0, 12)
    assert versions[18] == (0, 4)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (api_versions_response(5, error=35), "error code 35"),
        (api_versions_response(6), "correlation id"),
        (api_versions_response(5)[:9], "truncated"),
    ],
)
def test_decode_api_versions_rejects_bad_responses(payload: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kafka.decode_api_versions_v0(payload, correlation_id=5)


def test_decode_metadata_brokers() -> None:
    payload = metadata_response(2, [(1, "127.0.0.1", 19092)])
    assert kafka.decode_metadata_v4_brokers(payload, correlation_id=2) == [(1, "127.0.0.1", 19092)]


def serve_once(responses: list[bytes]) -> tuple[int, threading.Thread]:
    """A one-connection fake broker that answers each request frame with the next response."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def run() -> None:
        with server, server.accept()[0] as conn:
            for response in responses:
                (size,) = struct.unpack(">i", conn.recv(4))
                conn.recv(size)
                conn.sendall(struct.pack(">i", len(response)) + response)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


@pytest.mark.parametrize(("brokers", "ready"), [([(1, "127.0.0.1", 1)], True), ([], False)])
def test_probe_needs_the_broker_registered(brokers: list[tuple[int, str, int]], ready: bool) -> None:
    port, thread = serve_once([api_versions_response(1), metadata_response(2, brokers)])
    assert kafka.probe("127.0.0.1", port) is ready
    thread.join(timeout=5)
