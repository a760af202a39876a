#!/usr/bin/env bash
# Stop the workers listed in $SPARKLITE_CONF_DIR/workers (over ssh), then the master here.
source "$(dirname "$0")/common.sh"
workers="$SPARKLITE_CONF_DIR/workers"
if [[ -f "$workers" ]]; then
  grep -vE '^\s*(#|$)' "$workers" | while read -r host; do
    ssh -o BatchMode=yes "$host" "SPARKLITE_HOME='$SPARKLITE_HOME' '$SPARKLITE_HOME/cluster/sbin/stop-worker.sh'" \
      </dev/null | sed "s/^/$host: /"
  done
fi
"$SPARKLITE_HOME/cluster/sbin/stop-master.sh"
