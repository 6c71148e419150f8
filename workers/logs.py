"""structlog, configured once by the process that runs: JSON off a terminal, console on one."""

from __future__ import annotations

import logging
import sys

import structlog


class CurrentStderr:
    """Whatever `sys.stderr` is when a line is written (a test runner may swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(log_format: str = "auto", level: int = logging.INFO) -> None:
    """Configure structlog (and the standard library's root logger) for this process."""
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=CurrentStderr()),  # type: ignore[arg-type]
        # Not cached: a logger bound once would keep the processors of that moment, and a
        # later reconfiguration (a test's capture, a CLI's own format) would not reach it.
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
