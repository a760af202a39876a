#!/usr/bin/env bash
# Shared settings of the cluster scripts (sourced, not run).
# SPARKLITE_HOME   the checkout/installation, same path on every host (default: this repo)
# SPARKLITE_PYTHON the Python with sparklite installed (default: $SPARKLITE_HOME/.venv/bin/python)
# SPARKLITE_CONF_DIR, SPARKLITE_LOG_DIR, SPARKLITE_PID_DIR, SPARKLITE_MASTER_HOST/PORT/WEBUI_PORT
set -euo pipefail
SPARKLITE_HOME="${SPARKLITE_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
SPARKLITE_CONF_DIR="${SPARKLITE_CONF_DIR:-$SPARKLITE_HOME/conf}"
SPARKLITE_PYTHON="${SPARKLITE_PYTHON:-$SPARKLITE_HOME/.venv/bin/python}"
SPARKLITE_BIN="$(dirname "$SPARKLITE_PYTHON")"
SPARKLITE_LOG_DIR="${SPARKLITE_LOG_DIR:-$SPARKLITE_HOME/logs}"
SPARKLITE_PID_DIR="${SPARKLITE_PID_DIR:-/tmp}"
SPARKLITE_MASTER_HOST="${SPARKLITE_MASTER_HOST:-$(hostname -f 2>/dev/null || hostname)}"
SPARKLITE_MASTER_PORT="${SPARKLITE_MASTER_PORT:-7077}"
SPARKLITE_MASTER_WEBUI_PORT="${SPARKLITE_MASTER_WEBUI_PORT:-8080}"
export SPARKLITE_HOME SPARKLITE_CONF_DIR
mkdir -p "$SPARKLITE_LOG_DIR"

pid_file() { echo "$SPARKLITE_PID_DIR/sparklite-${USER:-$(id -un)}-$1.pid"; }

# start_daemon NAME COMMAND...: run in the background, remember its pid, refuse a second copy
start_daemon() {
  local name="$1"; shift
  local pf; pf="$(pid_file "$name")"
  if [[ -f "$pf" ]] && kill -0 "$(cat "$pf")" 2>/dev/null; then
    echo "$name is already running (pid $(cat "$pf"))"; return 0
  fi
  nohup "$@" >>"$SPARKLITE_LOG_DIR/$name.out" 2>&1 </dev/null &
  echo $! >"$pf"
  echo "started $name (pid $!), log $SPARKLITE_LOG_DIR/$name.out"
}

# stop_daemon NAME: SIGTERM the remembered pid (it stops its own children), wait, then SIGKILL
stop_daemon() {
  local pf; pf="$(pid_file "$1")"
  if [[ ! -f "$pf" ]]; then echo "no $1 to stop"; return 0; fi
  local pid; pid="$(cat "$pf")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $1 (pid $pid)"
  fi
  rm -f "$pf"
}

properties_args() {
  local f="$SPARKLITE_CONF_DIR/sparklite-defaults.conf"
  [[ -n "${SPARKLITE_PROPERTIES_FILE:-}" ]] && f="$SPARKLITE_PROPERTIES_FILE"
  [[ -f "$f" ]] && echo "--properties-file $f"
  return 0
}
