"""Event logs in Spark's format: the writer (a listener), the JSON protocol, and the reader that
replays a log into an AppStatusStore (sparklite-history, tests)."""
