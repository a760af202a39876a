"""Start a local Ray head on loopback for benchmarks with master="ray"; print its address, stay up.

    export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 RAY_AUTH_MODE=token
    python benchmarks/ray_head.py --num-cpus 2 &      # prints RAY_ADDRESS 127.0.0.1:PORT
    python benchmarks/run.py W2 W5 --master ray --conf sparklite.ray.address=127.0.0.1:PORT \\
        --conf spark.executor.instances=2 --conf spark.executor.cores=1
    kill <its pid>                                   # shuts the Ray instance down

Ray's usage reporting is off and every address stays on 127.0.0.1
(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0: Ray otherwise turns 127.0.0.1 into the host's address).
Ray 2.60 protects a cluster started by ray.init with a token (~/.ray/auth_token); other drivers
present it only with RAY_AUTH_MODE=token set.
"""
from __future__ import annotations

import argparse
import os
import signal
import threading

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # keep Ray's addresses on loopback


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-cpus", type=int, default=2)
    args = parser.parse_args()
    import ray

    ray.init(_node_ip_address="127.0.0.1", include_dashboard=False, num_cpus=args.num_cpus,
             log_to_driver=False)
    print("RAY_ADDRESS", ray.get_runtime_context().gcs_address, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    ray.shutdown()


if __name__ == "__main__":
    main()
