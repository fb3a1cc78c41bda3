"""A child process whose log reaches the run's log: a file whole, and a logger from INFO up.

A crawl runs Scrapy in a child process. Its output goes to a file as it comes,
and each of Scrapy's log records (``2025-11-21 02:00:01 [scrapy.core.engine]
INFO: Spider opened``, with the lines that continue it, such as a traceback or
the closing statistics) becomes one record of the given logger at its level, so
that the Prefect UI shows the crawl's log with the run's.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO

__all__ = ["relay_records", "run_logged"]

# Scrapy's default LOG_FORMAT: "%(asctime)s [%(name)s] %(levelname)s: %(message)s".
_RECORD = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:[.,]\d+)? \[[^\]]+\] "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL): "
)
_LEVELS = logging.getLevelNamesMapping()
# A line before any record (output of the child before its logging started, such
# as an interpreter error) is worth a look.
_LEVEL_OF_STRAY_LINES = logging.WARNING


def relay_records(
    lines: Iterable[str], logger: logging.Logger | logging.LoggerAdapter[logging.Logger]
) -> None:
    """Log ``lines`` (Scrapy's log) as records: each with its continuation lines, at its level.

    Records under INFO are left to the file.
    """
    level = _LEVEL_OF_STRAY_LINES
    record: list[str] = []  # the lines of the record being gathered

    def flush() -> None:
        if record and level >= logging.INFO:
            logger.log(level, "%s", "\n".join(record))
        record.clear()

    for raw in lines:
        line = raw.rstrip("\r\n")
        match = _RECORD.match(line)
        if match:
            flush()
            level = _LEVELS[match["level"]]
        elif not record and not line.strip():
            continue
        record.append(line)
    flush()


def run_logged(
    argv: Sequence[str],
    env: Mapping[str, str],
    log_path: Path,
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
    timeout: float,
) -> int | None:
    """Run ``argv``; append its output to ``log_path`` and relay its records to ``logger``.

    Returns the exit code, or ``None`` when the process was still running after
    ``timeout`` seconds and was killed. The process never outlives the call: it
    is killed too when waiting is interrupted (a cancelled run).

    Raises:
        OSError: the log file could not be written (the process is killed).
    """
    relay = _Relay(logger)
    with (
        log_path.open("ab") as log,
        subprocess.Popen(
            argv, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as proc,
    ):
        assert proc.stdout is not None  # stdout=PIPE
        reader = threading.Thread(target=relay.run, args=(proc.stdout, log), daemon=True)
        reader.start()
        returncode: int | None = None
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join()
    if relay.error is not None:
        raise relay.error
    return returncode


class _Relay:
    """Copies a child's output to its log file and its records to a logger (in a thread)."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> None:
        self._logger = logger
        self.error: Exception | None = None  # what stopped the copy, raised by run_logged

    def run(self, stream: IO[bytes], log: IO[bytes]) -> None:
        def lines() -> Iterable[str]:
            for raw in stream:
                log.write(raw)
                log.flush()
                yield raw.decode("utf-8", errors="replace")

        try:
            relay_records(lines(), self._logger)
        except Exception as exc:  # handed to run_logged, which raises it
            self.error = exc
            # Keep the pipe drained, or the child blocks on a full pipe; the file
            # keeps the rest unless writing it is what failed.
            for raw in stream:
                if not isinstance(exc, OSError):
                    log.write(raw)
