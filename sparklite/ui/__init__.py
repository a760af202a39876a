"""What the user sees of an application: the live web UI and REST API, the history server's
pages, the status store behind them, and the console progress bar."""
