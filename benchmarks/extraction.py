"""Extraction benchmark: trafilatura's defaults against ``extract_article``, same run.

Measures, on all labelled real pages in ``tests/fixtures/real_pages`` (232 pages from
163 news sites, each with a person-marked article text), the article-extraction
benchmark's measure as implemented in :mod:`extract.scoring`: macro-averaged word
4-shingle precision and recall, the F1 of the two means, the share of pages with
precision under 0.9 (boilerplate leaks), and throughput in pages per second (one
process, one core, wall clock; the machines are noisy, so compare the two rows of one
run rather than runs on different days).

Rows:
    trafilatura defaults: ``trafilatura.extract(html)`` with no options.
    extract_article: our stage with the options of ``extract/settings.py``; a page it
        rejects (``NoArticleText``) counts as an empty extraction.

The stored pages are UTF-8 (they were saved as text), but three still carry the
``<meta charset>`` of the original response (gb2312, windows-1252, iso-8859-15). A
crawl has the original bytes with their header; here the header is supplied as
``text/html; charset=utf-8`` so that the stale ``<meta>`` is not obeyed.

Run from the repository root::

    .venv/bin/python benchmarks/extraction.py [--per-page]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extract import NoArticleText, extract_article
from extract.scoring import PageScore, score_page, summarize

PAGES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real_pages"
_FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


def load_pages() -> list[tuple[dict, bytes]]:
    rows = [json.loads(line) for line in (PAGES / "truth.jsonl").read_text().splitlines()]
    return [(row, gzip.decompress((PAGES / row["file"]).read_bytes())) for row in rows]


def run_defaults(row: dict, body: bytes) -> str:
    return trafilatura.extract(body) or ""


def run_ours(row: dict, body: bytes) -> str:
    try:
        article = extract_article(
            body,
            url=row["url"],
            source=row["publisher"],
            fetched=_FETCHED,
            content_type="text/html; charset=utf-8",
        )
    except NoArticleText:
        return ""
    return article.text


def measure(
    name: str, run: Callable[[dict, bytes], str], pages: list[tuple[dict, bytes]]
) -> list[PageScore]:
    start = time.perf_counter()
    texts = [run(row, body) for row, body in pages]
    elapsed = time.perf_counter() - start
    scores = [score_page(text, row["text"]) for text, (row, _) in zip(texts, pages, strict=True)]
    s = summarize(scores)
    print(
        f"{name:22s} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  "
        f"leaks {s.leak_share:6.1%}  {len(pages) / elapsed:5.1f} pages/s",
        flush=True,
    )
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-page", action="store_true", help="print each page's score")
    args = parser.parse_args()
    pages = load_pages()
    print(f"{len(pages)} labelled pages from {PAGES}")
    measure("trafilatura defaults", run_defaults, pages)
    ours = measure("extract_article", run_ours, pages)
    if args.per_page:
        for (row, _), score in zip(pages, ours, strict=True):
            print(f"  {score.precision:.3f} {score.recall:.3f}  {row['file']}")


if __name__ == "__main__":
    main()
