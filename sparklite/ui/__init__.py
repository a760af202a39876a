"""What the user sees of an application: the live web UI and REST API, the history server's
pages, the status store behind them, and the console progress bar."""

#: the Spark version the REST API reports for sparklite applications (their API is Spark 4's)
SPARK_API_VERSION = "4.0.0"
