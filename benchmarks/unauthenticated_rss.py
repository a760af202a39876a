"""What one big message from a caller without the secret costs each server (issue 11).

    python benchmarks/unauthenticated_rss.py                 # 1 GiB messages
    python benchmarks/unauthenticated_rss.py --size-mib 256
    python benchmarks/unauthenticated_rss.py --repo DIR      # measure another checkout (e.g. older code)

Starts a driver (``local[2]``, in its own process), one of its executors comes
with it, and a standalone master with a secret. Then, for each server and a
few methods, a separate client process sends ONE message of ``--size-mib``
without any credentials, and this script reads the server's resident memory
before, at its peak while the message is sent (the kernel's high-water mark,
reset first through ``/proc/PID/clear_refs``), and a second after. The worker
has no listening port (it only dials the master), so there is nothing to send
it; its executors are measured as "executor".
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import time

HERE = pathlib.Path(__file__).resolve().parent

_DRIVER = textwrap.dedent("""
    import json, os, sys
    from sparklite import SparkContext
    sc = SparkContext("local[2]", "unauthenticated-rss")
    sc.parallelize(range(4), 2).count()
    handle = next(iter(sc._runtime.endpoint.executors.values()))
    print(json.dumps({"driver": sc._runtime.driver_address, "driver_pid": os.getpid(),
                      "executor": handle.block_address, "executor_pid": handle.pid}), flush=True)
    sys.stdin.readline()
    sc.stop()
""")

_MASTER = "from sparklite.cli.cluster import master_main; master_main()"

_CLIENT = textwrap.dedent("""
    import sys, time, grpc
    address, method, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1)])
    body = b"\\x0a" * size
    print("READY", flush=True)
    sys.stdin.readline()
    start = time.perf_counter()
    try:
        channel.unary_unary(method)(body, timeout=300)
        outcome = "OK (accepted!)"
    except grpc.RpcError as exc:
        outcome = exc.code().name
    print(outcome, round(time.perf_counter() - start, 2), flush=True)
""")


def _status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(target: str, address: str, pid: int, method: str, size: int, env: dict[str, str]) -> dict:
    client = subprocess.Popen([sys.executable, "-c", _CLIENT, address, method, str(size)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    assert client.stdout is not None and client.stdin is not None
    assert client.stdout.readline().strip() == "READY"  # the client has built its message
    time.sleep(0.5)
    before = _status_kib(pid, "VmRSS")
    exact_peak = _reset_peak(pid)
    client.stdin.write("\n")
    client.stdin.flush()
    outcome, seconds = client.stdout.readline().split()
    client.wait(60)
    peak = _status_kib(pid, "VmHWM") if exact_peak else float("nan")
    time.sleep(1.0)
    after = _status_kib(pid, "VmRSS")
    return {"server": target, "method": method, "outcome": outcome, "seconds": float(seconds),
            "rss_before_mib": before / 1024, "rss_peak_mib": peak / 1024, "rss_after_mib": after / 1024}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repo", default=str(HERE.parent), help="checkout whose sparklite to measure")
    args = parser.parse_args()
    size = args.size_mib << 20
    env = dict(os.environ, PYTHONPATH=args.repo)
    env.pop("SPARKLITE_SUBMIT_CONF", None)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        props = pathlib.Path(tmp) / "master.properties"
        props.write_text("spark.authenticate true\nspark.authenticate.secret benchmark-secret\n")
        driver = subprocess.Popen([sys.executable, "-c", _DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, env=env, cwd=tmp)
        master = subprocess.Popen([sys.executable, "-c", _MASTER, "--host", "127.0.0.1", "--port", "0",
                                   "--webui-port", "-1", "--properties-file", str(props)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=tmp)
        try:
            info = json.loads(driver.stdout.readline())  # type: ignore[union-attr]
            master_url = master.stdout.readline().split()[-1]  # type: ignore[union-attr]
            master_address = master_url.replace("sparklite://", "")
            plan = [("driver", info["driver"], info["driver_pid"], m)
                    for m in ("/sparklite.Driver/Connect", "/sparklite.Driver/GetPeers")]
            plan += [("executor", info["executor"], info["executor_pid"], m)
                     for m in ("/sparklite.BlockService/PutBlock", "/sparklite.BlockService/FetchBlock")]
            plan += [("master", master_address, master.pid, m)
                     for m in ("/sparklite.Master/WorkerConnect", "/sparklite.Master/Status")]
            for target, address, pid, method in plan:
                rows.append(measure(target, address, pid, method, size, env))
                row = rows[-1]
                print(f"{row['server']:9} {row['method']:38} {row['outcome']:20} {row['seconds']:6.2f} s   "
                      f"RSS {row['rss_before_mib']:7.0f} -> peak {row['rss_peak_mib']:7.0f} -> "
                      f"{row['rss_after_mib']:7.0f} MiB", flush=True)
        finally:
            driver.stdin.write("\n")  # type: ignore[union-attr]
            driver.stdin.flush()  # type: ignore[union-attr]
            driver.wait(30)
            master.terminate()
            master.wait(30)
    print(json.dumps({"size_mib": args.size_mib, "repo": args.repo, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
