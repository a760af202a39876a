#!/usr/bin/env bash
# Start a master on this host: sbin/start-master.sh [extra sparklite-master flags]
source "$(dirname "$0")/common.sh"
# shellcheck disable=SC2046
start_daemon master "$SPARKLITE_BIN/sparklite-master" --host "$SPARKLITE_MASTER_HOST" \
  --port "$SPARKLITE_MASTER_PORT" --webui-port "$SPARKLITE_MASTER_WEBUI_PORT" $(properties_args) "$@"
