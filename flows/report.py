"""Run summaries as text: the Prefect markdown artifact and the CLI's closing lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "counts_text",
    "source_history",
    "source_records",
    "summary_markdown",
]


def _cell(value: object) -> str:
    # Titles come from scraped pages: keep them from breaking the table.
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def source_records(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one record per source of a run summary, in source order.

    A record is what ``wiredupe sources`` shows and the run report tabulates.

    Crawl figures come from the crawl's statistics (see :mod:`crawler.fetchlog`):
    ``discovered`` distinct article URLs, ``fetched`` responses archived,
    ``not_modified`` feeds and sitemaps unchanged since the last night, ``skipped``
    and ``errors`` as ``{outcome: count}``. Storage figures come from the extract
    stage: ``stored`` new articles, ``already_stored``, ``rejected`` pages (fetched,
    but no article). ``failed`` is why the crawl failed, or ``None``.
    """
    stored = summary.get("stored") or {}
    names = sorted({*summary.get("sources", {}), *summary.get("failed_sources", {})})
    records = []
    for name in names:
        crawl = summary.get("sources", {}).get(name) or {}
        records.append(
            {
                "source": name,
                "run_id": summary.get("run_id"),
                "discovered": crawl.get("discovered", 0),
                "fetched": crawl.get("fetched", 0),
                "not_modified": crawl.get("not_modified", 0),
                "stored": stored.get("stored", {}).get(name, 0),
                "already_stored": stored.get("already_stored", {}).get(name, 0),
                "rejected": stored.get("rejected", {}).get(name, 0),
                "skipped": dict(crawl.get("skipped", {})),
                "errors": dict(crawl.get("errors_by_outcome", {})),
                "failed": summary.get("failed_sources", {}).get(name),
            }
        )
    return records


def source_history(
    runs: Sequence[dict[str, Any]],
    *,
    configured: Sequence[str] = (),
    per_source: int = 1,
    totals: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Return the latest ``per_source`` records of each source, newest first per source.

    Args:
        runs: runs as :func:`storage.list_runs` returns them, newest first.
        configured: sources of ``sources.toml``: listed even if no run has crawled
            them yet (with zero figures and no run id).
        per_source: how many runs to report for each source.
        totals: articles stored per source, added to each record as ``total``.
    """
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in configured}
    for run in runs:
        for record in (run.get("stats") or {}).get("by_source", ()):
            history = found.setdefault(record["source"], [])
            if len(history) < per_source:
                history.append(record)
    records = []
    for name in sorted(found):
        history = found[name] or [_never_crawled(name)]
        records += [{**r, "total": (totals or {}).get(name, 0)} for r in history]
    return records


def _never_crawled(name: str) -> dict[str, Any]:
    # The record of a crawl with no figures, in no run.
    (record,) = source_records({"sources": {name: {}}})
    return record


def counts_text(counts: dict[str, int]) -> str:
    """``{"seen": 12, "robots": 1}`` as ``seen 12, robots 1`` (``-`` when empty)."""
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "-"


def summary_markdown(summary: dict[str, Any], groups: Sequence[dict[str, Any]]) -> str:
    """Render a run summary and its largest groups as markdown."""
    stored = summary["stored"]
    lines = [
        f"# wiredupe run {summary['run_id']}: {summary.get('status', '')}",
        "",
        "| source | discovered | fetched | unchanged | stored | already stored | rejected "
        "| skipped | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in source_records(summary):
        if r["failed"]:
            empty = " |" * 7  # the crawl produced no figures
            lines.append(f"| {_cell(r['source'])} | failed: {_cell(r['failed'])} |{empty}")
            continue
        lines.append(
            f"| {_cell(r['source'])} | {r['discovered']} | {r['fetched']} | {r['not_modified']} "
            f"| {r['stored']} | {r['already_stored']} | {r['rejected']} "
            f"| {counts_text(r['skipped'])} | {counts_text(r['errors'])} |"
        )
    for damage in stored.get("damaged", []):
        lines.append(f"\nDamaged archive: {_cell(damage)}")
    g = summary["grouped"]
    lines += [
        "",
        f"Grouped {g['articles']} new articles: {g['new_groups']} new groups, "
        f"{g['grown_groups']} groups grew.",
        "",
        "## Largest groups",
        "",
        "| id | size | agency | title | origin |",
        "|---:|---:|---|---|---|",
    ]
    for group in groups:
        origin = group["origin"]["source"] if group["origin"] else ""
        lines.append(
            f"| {group['id']} | {group['size']} | {_cell(group['agency'])} "
            f"| {_cell(group['title'])} | {_cell(origin)} |"
        )
    return "\n".join(lines) + "\n"
