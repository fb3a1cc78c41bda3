"""Extraction benchmark: trafilatura against our stage, on two labelled sets, same run.

Measures the article-extraction benchmark's measure as implemented in
:mod:`extract.scoring` (macro-averaged word 4-shingle precision and recall, the F1 of
the two means, the share of pages with precision under 0.9: boilerplate leaks), and
throughput in pages per second (wall clock; the machines are noisy, so compare the
rows of one run rather than runs on different days).

Sets:
    template pages: ``tests/fixtures/template_pages`` (16 real page templates, ten
        pages each, other real articles put in them, with related-link lists, share
        bars, newsletter boxes, comments, inline "Read more"/advertisement lines and
        photo credits; see its ``build.py``). The pages of a template are one source.
    real pages: ``tests/fixtures/real_pages`` (232 pages from 163 news sites, about
        1.4 pages per site: per-source learning has almost nothing to learn from).

Rows (each set):
    trafilatura defaults: ``trafilatura.extract(html)`` with no options (the baseline).
    trafilatura favor_precision: the same with ``favor_precision=True``.
    extract_article: our stage page by page (options of ``extract/settings.py``), no
        per-source learning.
    extract_warc: our stage as the pipeline runs it: all pages of the set in one WARC
        (one night), each source's repeated blocks and sections learned from its pages
        in that file and removed (``extract/boilerplate.py``).
A page our stage rejects (``NoArticleText``) counts as an empty extraction.

Throughput (each set): ``extract_warc`` over the same WARC in one process against a
pool of one worker per core (at least two), median of three alternating runs; the
pool's articles must equal the single process's.

The real pages are UTF-8 (they were saved as text), but three still carry the
``<meta charset>`` of the original response; the response header given here
(``text/html; charset=utf-8``) stands in for the original one, so the stale ``<meta>``
is not obeyed.

Run from the repository root::

    .venv/bin/python benchmarks/extraction.py [--per-page]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import trafilatura
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract import Article, NoArticleText, Rejected, extract_article, extract_warc
from extract.scoring import PageScore, score_page, summarize
from extract.warc import all_cores, extraction_pool

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
_FETCHED = datetime(2026, 1, 1, tzinfo=UTC)
_CONTENT_TYPE = "text/html; charset=utf-8"
# Runs of extract_warc each way for the throughput figures (machines here are noisy).
REPEATS = 3


@dataclass(frozen=True)
class Page:
    """One labelled page: where it is from, its source, its HTML and its true text."""

    name: str
    url: str
    source: str
    body: bytes
    truth: str


def load_set(folder: Path, source_field: str) -> list[Page]:
    rows = [json.loads(line) for line in (folder / "truth.jsonl").read_text().splitlines()]
    return [
        Page(
            name=row["file"],
            url=row["url"],
            source=row[source_field],
            body=gzip.decompress((folder / row["file"]).read_bytes()),
            truth=row["text"],
        )
        for row in rows
    ]


def run_trafilatura(**options: bool) -> Callable[[Page], str]:
    """A row of plain ``trafilatura.extract`` with ``options`` (none: the baseline)."""
    return lambda page: trafilatura.extract(page.body, **options) or ""


def run_ours(page: Page) -> str:
    try:
        article = extract_article(
            page.body,
            url=page.url,
            source=page.source,
            fetched=_FETCHED,
            content_type=_CONTENT_TYPE,
        )
    except NoArticleText:
        return ""
    return article.text


def report(name: str, texts: list[str], pages: list[Page], elapsed: float) -> list[PageScore]:
    scores = [score_page(text, page.truth) for text, page in zip(texts, pages, strict=True)]
    s = summarize(scores)
    print(
        f"  {name:29s} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  "
        f"leaks {s.leak_share:6.1%}  {len(pages) / elapsed:5.1f} pages/s",
        flush=True,
    )
    return scores


def measure(name: str, run: Callable[[Page], str], pages: list[Page]) -> list[PageScore]:
    start = time.perf_counter()
    texts = [run(page) for page in pages]
    return report(name, texts, pages, time.perf_counter() - start)


def write_warc(pages: list[Page], path: Path) -> None:
    """Archive the pages as our crawler would: one response record each, with its source."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for page in pages:
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", _CONTENT_TYPE)], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                page.url,
                "response",
                payload=BytesIO(page.body),
                length=len(page.body),
                http_headers=http,
                warc_headers_dict={
                    "WARC-Date": "2026-01-01T00:00:00Z",
                    "WARC-Wiredupe-Source": page.source,
                    "WARC-Wiredupe-Kind": "article",
                },
            )
            writer.write_record(record)


def run_warc(path: Path, workers: int) -> tuple[list[Article | Rejected], float]:
    start = time.perf_counter()
    with extraction_pool(workers) as pool:
        outcomes = list(extract_warc(path, pool=pool))
    return outcomes, time.perf_counter() - start


def measure_warc(pages: list[Page], workers: int) -> list[PageScore]:
    """The pipeline's way (one WARC, per-source learning), and its throughput on a pool.

    Throughput: median of :data:`REPEATS` runs each way, alternating, so that both
    ways see the same noise; a pool's time includes starting its workers.
    """
    single_s: list[float] = []
    pooled_s: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "night.warc.gz"
        write_warc(pages, path)
        for _ in range(REPEATS):
            single, elapsed = run_warc(path, 1)
            single_s.append(elapsed)
            pooled, elapsed = run_warc(path, workers)
            pooled_s.append(elapsed)
            if pooled != single:
                raise RuntimeError(f"a pool of {workers} gave other articles than 1 process")
    one, pool = statistics.median(single_s), statistics.median(pooled_s)
    texts = [o.text if isinstance(o, Article) else "" for o in single]
    scores = report("extract_warc (learning)", texts, pages, one)
    print(
        f"  throughput extract_warc, median of {REPEATS}: 1 process {len(pages) / one:5.1f} "
        f"pages/s, pool of {workers} {len(pages) / pool:5.1f} pages/s "
        f"({one / pool:.2f}x the single process; same articles)",
        flush=True,
    )
    return scores


def benchmark(title: str, pages: list[Page], workers: int, per_page: bool) -> None:
    sources = len({p.source for p in pages})
    print(f"{title}: {len(pages)} pages from {sources} sources (baseline: trafilatura defaults)")
    measure("trafilatura defaults", run_trafilatura(), pages)
    measure("trafilatura favor_precision", run_trafilatura(favor_precision=True), pages)
    measure("extract_article (no learning)", run_ours, pages)
    ours = measure_warc(pages, workers)
    if per_page:
        for page, score in zip(pages, ours, strict=True):
            print(f"    {score.precision:.3f} {score.recall:.3f}  {page.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-page", action="store_true", help="print each page's score")
    args = parser.parse_args()
    workers = max(2, all_cores())
    print(f"pool: {workers} workers ({all_cores()} cores available)")
    benchmark(
        "template pages",
        load_set(FIXTURES / "template_pages", "source"),
        workers,
        args.per_page,
    )
    benchmark("real pages", load_set(FIXTURES / "real_pages", "publisher"), workers, args.per_page)


if __name__ == "__main__":
    main()
