"""Command-line entry points: sparklite-submit, sparklite-shell, sparklite-master, sparklite-worker."""
