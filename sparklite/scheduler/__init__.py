"""Scheduling: DAGScheduler (stages), TaskScheduler (tasks on slots), backends (executors)."""
