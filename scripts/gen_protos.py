"""Regenerate sparklite/rpc/generated/*_pb2.py from sparklite/rpc/protos/*.proto.

Only the message classes are generated; the service wiring is written by hand in
sparklite/rpc/services.py so that no grpcio version is pinned by generated code.
Needs the dev extra (grpcio-tools).
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
PROTOS = ROOT / "sparklite" / "rpc" / "protos"
OUT = ROOT / "sparklite" / "rpc" / "generated"


def main() -> int:
    OUT.mkdir(exist_ok=True)
    protos = sorted(str(p.name) for p in PROTOS.glob("*.proto"))
    cmd = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTOS}", f"--python_out={OUT}", *protos]
    return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
