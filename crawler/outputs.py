"""Where one crawl writes its results, and how the spider tells its pipelines.

A crawl of source ``S`` into ``out_dir`` writes three files:

- ``{out_dir}/S.warc.gz``: every response, as WARC ``response`` records;
- ``{out_dir}/S.fetchlog.jsonl``: one JSON line per attempted URL;
- ``{out_dir}/S.stats.json``: counts, written when the crawl closes.

The ``wire`` spider copies its ``out_dir`` and ``source`` arguments into the
``WIREDUPE_OUT_DIR`` and ``WIREDUPE_SOURCE`` settings, which the pipelines read
in ``from_crawler``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scrapy.settings import BaseSettings

from crawler.errors import CrawlSetupError

__all__ = [
    "OUT_DIR_SETTING",
    "SOURCE_SETTING",
    "CrawlOutputs",
    "crawl_outputs",
    "outputs_from_settings",
]

OUT_DIR_SETTING = "WIREDUPE_OUT_DIR"
SOURCE_SETTING = "WIREDUPE_SOURCE"


@dataclass(frozen=True, kw_only=True)
class CrawlOutputs:
    """The files one crawl of one source writes.

    Attributes:
        warc: the WARC archive of every response.
        fetch_log: the JSON-lines fetch log, one line per attempted URL.
        stats: the JSON run statistics, written at close.
    """

    warc: Path
    fetch_log: Path
    stats: Path


def crawl_outputs(out_dir: Path, source: str) -> CrawlOutputs:
    """Return the output files of a crawl of ``source`` into ``out_dir``.

    Args:
        out_dir: the crawl's output folder.
        source: the source's name.

    Returns:
        The three paths (nothing is created).
    """
    out_dir = Path(out_dir)
    return CrawlOutputs(
        warc=out_dir / f"{source}.warc.gz",
        fetch_log=out_dir / f"{source}.fetchlog.jsonl",
        stats=out_dir / f"{source}.stats.json",
    )


def outputs_from_settings(settings: BaseSettings, *, component: str) -> tuple[CrawlOutputs, str]:
    """Return the crawl's output files and source name, as the ``wire`` spider set them.

    Args:
        settings: the crawler's settings.
        component: the caller's name, quoted in the error message.

    Returns:
        The output files and the source's name.

    Raises:
        CrawlSetupError: ``WIREDUPE_OUT_DIR`` or ``WIREDUPE_SOURCE`` is not set.
    """
    out_dir = settings.get(OUT_DIR_SETTING)
    source = settings.get(SOURCE_SETTING)
    if not out_dir or not source:
        raise CrawlSetupError(
            f"{component} needs the {OUT_DIR_SETTING} and {SOURCE_SETTING} settings "
            f"(got {out_dir!r} and {source!r}); run the 'wire' spider, which sets them "
            "from its out_dir and source arguments"
        )
    return crawl_outputs(Path(out_dir), str(source)), str(source)
