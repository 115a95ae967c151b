"""FerretDB: the BSON subset, OP_MSG framing, the ping probe and the server command line."""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

import pytest
from devstack import ferretdb


def test_bson_matches_spec_example() -> None:
    # The canonical example from the BSON specification.
    assert ferretdb.encode_bson({"hello": "world"}) == (b"\x16\x00\x00\x00\x02hello\x00\x06\x00\x00\x00world\x00\x00")


def test_bson_picks_int_width_and_keeps_bool_apart() -> None:
    encoded = ferretdb.encode_bson({"a": 1, "b": 2**31, "c": True})
    assert encoded[4:5] == b"\x10"  # int32
    assert b"\x12b\x00" in encoded  # int64
    assert b"\x08c\x00\x01" in encoded  # bool, not int


def test_bson_round_trip() -> None:
    doc = {
        "ping": 1,
        "$db": "admin",
        "big": -(2**40),
        "pi": 3.5,
        "on": False,
        "nothing": None,
        "nested": {"list": [1, "two", {"three": 3.0}], "blob": b"\x00\x01"},
        "text": "ünïcode",
    }
    assert ferretdb.decode_bson(ferretdb.encode_bson(doc)) == doc


def test_bson_rejects_nul_in_keys_and_unknown_types() -> None:
    with pytest.raises(ValueError):
        ferretdb.encode_bson({"a\x00b": 1})
    with pytest.raises(TypeError):
        ferretdb.encode_bson({"a": object()})


@pytest.mark.parametrize(
    "data",
    [
        b"\x05\x00\x00",  # shorter than its length field
        b"\x06\x00\x00\x00\x00\x01",  # missing terminator
        b"\x0c\x00\x00\x00\x10a\x00\x01\x00\x00",  # value runs past the document
        b"\x08\x00\x00\x00\x13a\x00\x00",  # decimal128 is not supported
    ],
)
def test_bson_rejects_malformed_documents(data: bytes) -> None:
    with pytest.raises(ValueError):
        ferretdb.decode_bson(data)


def test_op_msg_layout() -> None:
    message = ferretdb.encode_op_msg(42, {"ping": 1})
    length, request_id, response_to, opcode = struct.unpack_from("<iiii", message)
    assert (length, request_id, response_to, opcode) == (len(message), 42, 0, 2013)
    assert message[16:21] == b"\x00\x00\x00\x00\x00"  # flagBits 0, section kind 0
    assert ferretdb.decode_bson(message[21:]) == {"ping": 1}


def reply(response_to: int, document: dict, flags: int = 0) -> bytes:
    body = struct.pack("<I", flags) + b"\x00" + ferretdb.encode_bson(document)
    if flags & 1:
        body += b"\x00\x00\x00\x00"
    return struct.pack("<iiii", 16 + len(body), 9, response_to, 2013) + body


@pytest.mark.parametrize("flags", [0, 1])
def test_decode_op_msg_reply(flags: int) -> None:
    assert ferretdb.decode_op_msg(reply(42, {"ok": 1.0}, flags)) == (42, {"ok": 1.0})


def test_decode_op_msg_rejects_other_opcodes() -> None:
    message = bytearray(reply(1, {"ok": 1.0}))
    message[12:16] = struct.pack("<i", 1)  # OP_REPLY
    with pytest.raises(ValueError, match="opcode"):
        ferretdb.decode_op_msg(bytes(message))


@pytest.mark.parametrize(("ok", "ready"), [(1.0, True), (0.0, False)])
def test_probe_pings_admin(ok: float, ready: bool) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    seen: list[dict] = []

    def run() -> None:
        with server, server.accept()[0] as conn:
            (length,) = struct.unpack("<i", conn.recv(4))
            request = conn.recv(length - 4)
            request_id = struct.unpack_from("<i", request)[0]
            seen.append(ferretdb.decode_bson(request[17:]))
            conn.sendall(reply(request_id, {"ok": ok}))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ferretdb.probe("127.0.0.1", port) is ready
    thread.join(timeout=5)
    assert seen == [{"ping": 1, "$db": "admin"}]


def test_server_argv_uses_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    layout = ferretdb.Layout(home=Path("state"), sqlite=Path("state/sqlite"), log=Path("x.log"))
    argv = ferretdb.server_argv(Path("/cache/bin/ferretdb"), 27117, layout)
    assert argv[0] == "/cache/bin/ferretdb"
    assert f"--sqlite-url=file:{tmp_path}/state/sqlite/" in argv
    assert f"--state-dir={tmp_path}/state" in argv
    assert "--listen-addr=127.0.0.1:27117" in argv
    assert {"--handler=sqlite", "--debug-addr=-", "--telemetry=disable"} <= set(argv)
