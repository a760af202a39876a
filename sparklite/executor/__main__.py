"""``python -m sparklite.executor``: start an executor (launched by a backend, not by users)."""
from __future__ import annotations

import argparse
import os
import signal
import sys


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C in the driver's terminal reaches the whole process group; it is the driver's to handle
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parser = argparse.ArgumentParser(prog="python -m sparklite.executor")
    parser.add_argument("--driver", required=True, help="driver address host:port ('-': read it from stdin)")
    parser.add_argument("--executor-id", required=True)
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--local-dir", required=True)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind and advertise")
    parser.add_argument("--parent-pid", type=int, default=0)
    parser.add_argument("--resources", default="{}",
                        help='JSON: the resource addresses this executor was given, {"gpu": ["0"]}')
    parser.add_argument("--profile-id", type=int, default=0, help="the ResourceProfile it serves")
    parser.add_argument("--log-dir", help="keep stdout/stderr in files here too (local executors)")
    args = parser.parse_args(argv)
    if args.log_dir:
        from sparklite.executor import output_tee

        output_tee.install(args.log_dir, args.executor_id)
    if os.environ.get("SPARKLITE_TEST_CRASH_ON_START"):  # set only under sparklite.testing
        print(f"executor {args.executor_id}: crashing on start (test hook)", file=sys.stderr)
        _drain_output(args)
        return 3

    import json

    from sparklite.executor.executor import Executor
    from sparklite.executor.task_kill import install_task_hooks
    from sparklite.logs import configure_logging
    from sparklite.rpc.security import security_from_env

    configure_logging("WARN")
    driver = args.driver
    if driver == "-":
        # started before the driver's server existed (executor/launch.py): its address arrives
        # on stdin once it listens; EOF first means the driver gave up starting
        driver = sys.stdin.readline().strip()
        if not driver:
            _drain_output(args)
            return 0
    executor = Executor(args.executor_id, driver, args.cores, args.app_id, args.local_dir,
                        args.host, security_from_env(), args.parent_pid or None,
                        json.loads(args.resources), args.profile_id)
    install_task_hooks(executor.kills)
    code = executor.run()
    sys.stdout.flush()
    sys.stderr.flush()
    _drain_output(args)
    # task threads may still be running user code; they must not keep the process alive
    os._exit(code)


def _drain_output(args: argparse.Namespace) -> None:
    if args.log_dir:
        from sparklite.executor import output_tee

        sys.stdout.flush()
        sys.stderr.flush()
        output_tee.drain()


if __name__ == "__main__":
    raise SystemExit(main())
