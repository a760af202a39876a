#!/usr/bin/env bash
# Start a worker on this host: sbin/start-worker.sh sparklite://master:7077 [--cores N] [--memory M] ...
source "$(dirname "$0")/common.sh"
master="${1:?usage: start-worker.sh sparklite://host:port [sparklite-worker flags]}"; shift
# shellcheck disable=SC2046
start_daemon worker "$SPARKLITE_BIN/sparklite-worker" --master "$master" \
  --work-dir "${SPARKLITE_WORKER_DIR:-$SPARKLITE_HOME/work}" $(properties_args) "$@"
