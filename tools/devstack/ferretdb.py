"""FerretDB v1.24.2 on SQLite: a MongoDB-compatible server built from source with Go, no database server needed.

``install()`` builds the binary into ``<cache>/bin``; ``up(profile)`` starts it and returns a
``mongodb://`` URI once a real OP_MSG ``ping`` answers ok.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack import lifecycle, net, paths, procs, profiles, progress
from devstack.errors import DevstackError
from devstack.profiles import Profile

VERSION = "v1.24.2"
MODULE = "github.com/FerretDB/FerretDB"
NAME = "ferretdb"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


# --- installation -------------------------------------------------------------------------


def binary() -> Path:
    return paths.cache_dir() / "bin" / "ferretdb"


def installed_version(path: Path | None = None) -> str | None:
    """The version ``ferretdb --version`` reports, or None if the binary is missing or broken."""
    path = path or binary()
    if not path.is_file():
        return None
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "version":
            return value.strip()
    return None


def is_installed() -> bool:
    return installed_version() == VERSION


def install() -> float | None:
    """Build FerretDB into the cache; return seconds taken, or None if the right version is there.

    ``go install <module>/cmd/ferretdb@<version>`` yields a binary that panics at start, because
    the module ships without the generated ``build/version/version.txt``. So the module source is
    fetched into Go's module cache, copied, given that file, and built with ``go build``.
    """
    if is_installed():
        return None
    go = shutil.which("go")
    if go is None:
        raise DevstackError("'go' not found on PATH; install Go 1.24 or newer")
    env = {**os.environ, "CGO_ENABLED": "0"}
    module_dir = _download_module(go, env)
    source = paths.cache_dir() / "src" / f"FerretDB-{VERSION}"
    _prepare_source(module_dir, source)
    log = paths.cache_dir() / "logs" / "ferretdb-build.log"
    argv = [go, "build", "-v", "-trimpath", "-buildvcs=false", "-o", str(binary()), "./cmd/ferretdb"]
    binary().parent.mkdir(parents=True, exist_ok=True)
    elapsed = progress.run_logged(f"build FerretDB {VERSION} (go build, CGO_ENABLED=0)", argv, log, env, source)
    _remove_tree(source)
    with contextlib.suppress(OSError):
        source.parent.rmdir()
    version = installed_version()
    if version != VERSION:
        raise DevstackError(f"built {binary()} but it reports version {version!r}, expected {VERSION}; see {log}")
    return elapsed


def _download_module(go: str, env: dict[str, str]) -> Path:
    progress.say(f"==> fetch {MODULE}@{VERSION} source (go mod download)")
    started = time.monotonic()
    out = progress.run_checked(
        [go, "mod", "download", "-json", f"{MODULE}@{VERSION}"], "go mod download", env=env, timeout=600
    )
    progress.say(f"    done in {time.monotonic() - started:.1f}s")
    try:
        return Path(json.loads(out)["Dir"])
    except (ValueError, KeyError) as exc:
        raise DevstackError(f"go mod download gave no module directory:\n{out}") from exc


def _prepare_source(module_dir: Path, source: Path) -> None:
    """A writable copy of the module with the version file its build expects."""
    _remove_tree(source)
    shutil.copytree(module_dir, source, copy_function=shutil.copyfile)
    _make_writable(source)
    (source / "build" / "version" / "version.txt").write_text(VERSION + "\n")


def _make_writable(tree: Path) -> None:
    # Go's module cache is read-only and copytree carries directory modes over.
    for root, dirs, _files in os.walk(tree):
        for name in dirs:
            path = Path(root, name)
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    tree.chmod(tree.stat().st_mode | stat.S_IWUSR)


def _remove_tree(tree: Path) -> None:
    if tree.exists():
        _make_writable(tree)
        shutil.rmtree(tree)


# --- lifecycle ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Layout:
    """Where one profile's FerretDB keeps its files."""

    home: Path
    sqlite: Path
    log: Path

    @classmethod
    def of(cls, profile: Profile) -> Layout:
        home = profile.state_dir / NAME
        return cls(home=home, sqlite=home / "sqlite", log=procs.log_path(NAME, profile.name))


def server_argv(executable: Path, port: int, layout: Layout) -> list[str]:
    """The FerretDB command line: SQLite handler, loopback only, no telemetry, no debug listener."""
    return [
        str(executable),
        "--handler=sqlite",
        f"--sqlite-url=file:{layout.sqlite.resolve()}/",
        f"--listen-addr=127.0.0.1:{port}",
        f"--state-dir={layout.home.resolve()}",
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
    ]


def server(profile: Profile) -> lifecycle.Server:
    """This profile's FerretDB as the shared start/wait/stop steps see it."""
    return lifecycle.Server(
        name=NAME,
        profile=profile,
        address=profile.mongo_uri,
        port=profile.mongo_port,
        probe=probe,
        ready_timeout_s=READY_TIMEOUT_S,
        stop_timeout_s=STOP_TIMEOUT_S,
        logs=(Layout.of(profile).log,),
    )


def up(profile: Profile | str) -> str:
    """Install if needed, start FerretDB unless it runs, wait until it answers ``ping``; return its URI."""
    return lifecycle.up(server(profiles.resolve(profile)), install=install, start=_start)


def _start(profile: Profile) -> int:
    layout = Layout.of(profile)
    if net.port_in_use(profile.mongo_port):
        raise DevstackError(
            f"port {profile.mongo_port} is in use by another process; stop it or set SWITCHBOARD_MONGO_PORT"
        )
    if profile.fresh_state:
        shutil.rmtree(layout.home, ignore_errors=True)
        layout.log.unlink(missing_ok=True)
    layout.sqlite.mkdir(parents=True, exist_ok=True)
    return procs.start(NAME, server_argv(binary(), profile.mongo_port, layout), cwd=layout.home, profile=profile.name)


def down(profile: Profile | str) -> int | None:
    """Stop the FerretDB we started; return its pid or None."""
    return lifecycle.down(server(profiles.resolve(profile)))


def status(profile: Profile | str) -> procs.Status:
    """Whether this profile's FerretDB runs and answers ``ping``."""
    return lifecycle.status(server(profiles.resolve(profile)))


# --- wire protocol (readiness probe) ------------------------------------------------------

OP_MSG = 2013
_request_ids = itertools.count(1)


def probe(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when the server answers ``{ping: 1}`` on the admin database with ``ok: 1``."""
    request_id = next(_request_ids)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(encode_op_msg(request_id, {"ping": 1, "$db": "admin"}))
        header = net.recv_exact(sock, 4)
        (length,) = struct.unpack("<i", header)
        if not 16 <= length <= 48 * 1024 * 1024:
            raise ValueError(f"implausible message length {length}")
        response_to, reply = decode_op_msg(header + net.recv_exact(sock, length - 4))
    if response_to != request_id:
        raise ValueError(f"reply to request {response_to}, expected {request_id}")
    return reply.get("ok") == 1


def encode_op_msg(request_id: int, command: dict[str, Any]) -> bytes:
    """An OP_MSG with no flags and one body section (kind 0) holding ``command``."""
    body = struct.pack("<I", 0) + b"\x00" + encode_bson(command)
    return struct.pack("<iiii", 16 + len(body), request_id, 0, OP_MSG) + body


def decode_op_msg(message: bytes) -> tuple[int, dict[str, Any]]:
    """(responseTo, body document) of a complete OP_MSG reply."""
    if len(message) < 21:
        raise ValueError("truncated OP_MSG")
    length, _request_id, response_to, opcode = struct.unpack_from("<iiii", message)
    if opcode != OP_MSG or length != len(message):
        raise ValueError(f"unexpected reply opcode {opcode} or length {length}")
    (flags,) = struct.unpack_from("<I", message, 16)
    end = len(message) - 4 if flags & 1 else len(message)  # bit 0: a CRC-32C checksum trails the sections
    if message[20] != 0:
        raise ValueError(f"unexpected first section kind {message[20]}")
    document, _ = _decode_document(message[:end], 21)
    return response_to, document


def encode_bson(document: dict[str, Any]) -> bytes:
    """BSON for the types a probe needs: dict, list, str, bool, int, float, bytes, None."""
    body = b"".join(_encode_element(key, value) for key, value in document.items())
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def _encode_element(key: str, value: Any) -> bytes:
    name = _cstring(key)
    if isinstance(value, bool):  # before int: bool is an int subclass
        return b"\x08" + name + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        if -(2**31) <= value < 2**31:
            return b"\x10" + name + struct.pack("<i", value)
        return b"\x12" + name + struct.pack("<q", value)
    if isinstance(value, float):
        return b"\x01" + name + struct.pack("<d", value)
    if isinstance(value, str):
        data = value.encode() + b"\x00"
        return b"\x02" + name + struct.pack("<i", len(data)) + data
    if isinstance(value, dict):
        return b"\x03" + name + encode_bson(value)
    if isinstance(value, (list, tuple)):
        return b"\x04" + name + encode_bson({str(i): item for i, item in enumerate(value)})
    if isinstance(value, bytes):
        return b"\x05" + name + struct.pack("<iB", len(value), 0) + value
    if value is None:
        return b"\x0a" + name
    raise TypeError(f"cannot encode {type(value).__name__} as BSON")


def _cstring(text: str) -> bytes:
    data = text.encode()
    if b"\x00" in data:
        raise ValueError("BSON keys cannot contain NUL")
    return data + b"\x00"


def decode_bson(data: bytes) -> dict[str, Any]:
    """Decode one BSON document that fills ``data``."""
    document, end = _decode_document(data, 0)
    if end != len(data):
        raise ValueError("trailing bytes after BSON document")
    return document


# Fixed-size BSON types -> struct format; ObjectId (0x07) stays raw bytes, datetime (0x09) epoch milliseconds.
_FIXED = {0x01: "<d", 0x07: "12s", 0x09: "<q", 0x10: "<i", 0x11: "<Q", 0x12: "<q"}


def _decode_document(data: bytes, start: int) -> tuple[dict[str, Any], int]:
    """Decode the document at ``start``; return it and the offset just past it."""
    try:
        (length,) = struct.unpack_from("<i", data, start)
    except struct.error as exc:
        raise ValueError("truncated BSON document") from exc
    end = start + length
    if length < 5 or end > len(data) or data[end - 1] != 0:
        raise ValueError("malformed BSON document")
    document: dict[str, Any] = {}
    pos = start + 4
    while pos < end - 1:
        kind = data[pos]
        key_end = data.index(b"\x00", pos + 1, end)
        key = data[pos + 1 : key_end].decode()
        document[key], pos = _decode_value(kind, data, key_end + 1, end)
        if pos > end - 1:
            raise ValueError("BSON value runs past its document")
    return document, end


def _decode_value(kind: int, data: bytes, pos: int, end: int) -> tuple[Any, int]:
    try:
        if kind in _FIXED:
            fmt = _FIXED[kind]
            return struct.unpack_from(fmt, data, pos)[0], pos + struct.calcsize(fmt)
        if kind == 0x02:
            (size,) = struct.unpack_from("<i", data, pos)
            return data[pos + 4 : pos + 3 + size].decode(), pos + 4 + size
        if kind in (0x03, 0x04):
            value, after = _decode_document(data, pos)
            return (list(value.values()) if kind == 0x04 else value), after
        if kind == 0x05:
            size, _subtype = struct.unpack_from("<iB", data, pos)
            return data[pos + 5 : pos + 5 + size], pos + 5 + size
        if kind == 0x08:
            return data[pos] != 0, pos + 1
        if kind == 0x0A:
            return None, pos
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ValueError("truncated BSON value") from exc
    raise ValueError(f"unsupported BSON type 0x{kind:02x}")
