#!/usr/bin/env bash
# Start a master here and a worker on every host of $SPARKLITE_CONF_DIR/workers (over ssh), as
# Spark's sbin/start-all.sh does. Hosts need the same SPARKLITE_HOME path and passwordless ssh.
source "$(dirname "$0")/common.sh"
"$SPARKLITE_HOME/cluster/sbin/start-master.sh"
master="sparklite://$SPARKLITE_MASTER_HOST:$SPARKLITE_MASTER_PORT"
workers="$SPARKLITE_CONF_DIR/workers"
[[ -f "$workers" ]] || { echo "no $workers: list one worker host per line (see conf/workers.template)"; exit 1; }
grep -vE '^\s*(#|$)' "$workers" | while read -r host; do
  ssh -o BatchMode=yes "$host" "SPARKLITE_HOME='$SPARKLITE_HOME' SPARKLITE_CONF_DIR='$SPARKLITE_CONF_DIR' \
    '$SPARKLITE_HOME/cluster/sbin/start-worker.sh' '$master' ${SPARKLITE_WORKER_OPTS:-}" </dev/null \
    | sed "s/^/$host: /"
done
