"""What the user sees of running jobs: the console progress bar (and, later, the web UI)."""
