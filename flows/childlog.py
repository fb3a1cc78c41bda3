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
            level = logging.getLevelNamesMapping()[match["level"]]
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
    """Run ``argv``; write its output to ``log_path`` and relay its records to ``logger``.

    Returns the exit code, or ``None`` when the process was still running after
    ``timeout`` seconds and was killed.
    """
    with (
        log_path.open("wb") as log,
        subprocess.Popen(
            argv, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        ) as proc,
    ):
        assert proc.stdout is not None  # stdout=PIPE
        reader = threading.Thread(
            target=_copy_and_relay, args=(proc.stdout, log, logger), daemon=True
        )
        reader.start()
        try:
            returncode: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            returncode = None
        reader.join()
    return returncode


def _copy_and_relay(
    stream: IO[bytes],
    log: IO[bytes],
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> None:
    def lines() -> Iterable[str]:
        for raw in stream:
            log.write(raw)
            log.flush()
            yield raw.decode("utf-8", errors="replace")

    relay_records(lines(), logger)
