"""Logging set-up: the 'sparklite' logger writes to stderr at the configured level."""
from __future__ import annotations

import logging
import sys

_LEVELS = {"ALL": logging.DEBUG, "TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO,
           "WARN": logging.WARNING, "WARNING": logging.WARNING, "ERROR": logging.ERROR,
           "FATAL": logging.CRITICAL, "OFF": logging.CRITICAL + 10}

_handler: logging.Handler | None = None


def configure_logging(level: str) -> None:
    """Install one stderr handler on the 'sparklite' logger (idempotent) and set its level."""
    global _handler
    logger = logging.getLogger("sparklite")
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                                "%H:%M:%S"))
        logger.addHandler(_handler)
        logger.propagate = False
    set_level(level)


def set_level(level: str) -> None:
    name = str(level).upper()
    if name not in _LEVELS:
        raise ValueError(f"unknown log level {level!r}; use one of {', '.join(sorted(_LEVELS))}")
    logging.getLogger("sparklite").setLevel(_LEVELS[name])
