"""A crawl's log, from its child process to the run's log: records whole, at their level."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from flows.childlog import relay_records, run_logged

SCRAPY_LOG = """\
2026-11-23 02:00:01 [scrapy.utils.log] INFO: Scrapy 2.19.0 started (bot: wiredupe)
2026-11-23 02:00:01 [scrapy.core.engine] DEBUG: Crawled (200) <GET http://x/rss.xml>
2026-11-23 02:00:02 [scrapy.core.scraper] ERROR: Spider error processing <GET http://x/a>
Traceback (most recent call last):
  File "x.py", line 1, in parse
ValueError: bad page
2026-11-23 02:00:03 [scrapy.statscollectors] INFO: Dumping Scrapy stats:
{'downloader/request_count': 3,
 'finish_reason': 'finished'}
2026-11-23 02:00:03 [scrapy.core.engine] INFO: Spider closed (finished)
"""


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records]


def test_records_keep_their_continuation_lines_and_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("test.crawl")
    with caplog.at_level(logging.DEBUG, logger="test.crawl"):
        relay_records(SCRAPY_LOG.splitlines(keepends=True), logger)
    records = _records(caplog)
    assert [level for level, _ in records] == [
        logging.INFO,
        logging.ERROR,
        logging.INFO,
        logging.INFO,
    ], "DEBUG records stay in the file"
    assert records[1][1].endswith("ValueError: bad page") and "Traceback" in records[1][1]
    assert records[2][1].endswith("'finish_reason': 'finished'}")


def test_output_before_any_record_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.crawl")
    with caplog.at_level(logging.DEBUG, logger="test.crawl"):
        relay_records(["\n", "ModuleNotFoundError: No module named 'x'\n"], logger)
    assert _records(caplog) == [(logging.WARNING, "ModuleNotFoundError: No module named 'x'")]


def test_a_child_is_logged_to_its_file_and_the_logger(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = "import sys; sys.stdout.write(sys.argv[1]); sys.exit(3)"
    log = tmp_path / "crawl.log"
    logger = logging.getLogger("test.crawl")
    with caplog.at_level(logging.INFO, logger="test.crawl"):
        code = run_logged([sys.executable, "-c", script, SCRAPY_LOG], {}, log, logger, 60)
    assert code == 3
    assert log.read_text() == SCRAPY_LOG
    assert len(caplog.records) == 4


def test_a_child_past_its_time_is_stopped(tmp_path: Path) -> None:
    script = "import time; print('started', flush=True); time.sleep(60)"
    log = tmp_path / "crawl.log"
    code = run_logged([sys.executable, "-c", script], {}, log, logging.getLogger("test.crawl"), 1)
    assert code is None
    assert log.read_text() == "started\n"


class _BrokenLogger(logging.LoggerAdapter[logging.Logger]):
    def log(self, level: object, msg: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("the log service is down")


def test_a_relay_that_breaks_is_raised_and_the_file_keeps_everything(tmp_path: Path) -> None:
    # Far more than a pipe holds: the child must not block once the relay stops.
    script = "import sys; sys.stdout.write(sys.argv[1] * 2000)"
    log = tmp_path / "crawl.log"
    broken = _BrokenLogger(logging.getLogger("test.crawl"))
    with pytest.raises(RuntimeError, match="the log service is down"):
        run_logged([sys.executable, "-c", script, SCRAPY_LOG], {}, log, broken, 60)
    assert log.read_text() == SCRAPY_LOG * 2000


def test_each_attempt_is_appended_to_the_log(tmp_path: Path) -> None:
    log = tmp_path / "crawl.log"
    logger = logging.getLogger("test.crawl")
    for attempt in ("first\n", "second\n"):
        run_logged([sys.executable, "-c", f"print({attempt!r}, end='')"], {}, log, logger, 60)
    assert log.read_text() == "first\nsecond\n"
