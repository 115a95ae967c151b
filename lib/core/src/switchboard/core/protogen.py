"""Generates the protobuf and gRPC stubs of ``proto/`` into the running Python environment.

Stubs are never committed: each environment generates them with its own grpcio-tools, because
newer gencode refuses older protobuf runtimes (the Rasa environment is pinned to protobuf 4).
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
from importlib import resources
from pathlib import Path


class ProtoCompileError(RuntimeError):
    """protoc rejected the sources in ``proto/``."""


def proto_sources(proto_dir: Path) -> list[Path]:
    """Every ``.proto`` file under ``proto_dir``, sorted for a stable build."""
    return sorted(proto_dir.rglob("*.proto"))


def compile_protos(proto_dir: Path, out_dir: Path) -> list[Path]:
    """Compiles every source in ``proto_dir`` into ``out_dir``; returns the sources compiled.

    Raises:
        ProtoCompileError: when protoc reports an error (its message is included).
    """
    from grpc_tools import protoc  # build-time dependency, imported only when generating

    sources = proto_sources(proto_dir)
    if not sources:
        raise ProtoCompileError(f"no .proto files under {proto_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_stubs(out_dir / "switchboard" / "api")
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{proto_dir}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(path.relative_to(proto_dir)) for path in sources),
    ]
    if protoc.main(args) != 0:
        raise ProtoCompileError(f"protoc failed on {proto_dir} (see the messages above)")
    return sources


def _remove_stale_stubs(generated_root: Path) -> None:
    """Deletes stubs of an earlier run, so a removed .proto leaves no importable module behind."""
    if generated_root.is_dir():
        for stub in generated_root.rglob("*_pb2*.py*"):
            stub.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proto-dir", type=Path, default=Path("proto"))
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(sysconfig.get_paths()["purelib"]),
        help="where the stubs go; defaults to this environment's site-packages",
    )
    args = parser.parse_args(argv)
    try:
        sources = compile_protos(args.proto_dir.resolve(), args.out)
    except ProtoCompileError as error:
        sys.stderr.write(f"protogen: {error}\n")
        return 1
    sys.stdout.write(f"protogen: {len(sources)} proto files compiled into {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
