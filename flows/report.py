"""Run summaries as text: the Prefect markdown artifact and the CLI's closing lines."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from flows.health import EMPTY_RATE, ERROR_RATE, rate

__all__ = [
    "counts_text",
    "health_lines",
    "night_groups_markdown",
    "source_history",
    "source_records",
    "source_table_rows",
    "summary_markdown",
]


# Markdown's own characters, shown as themselves in a table cell (backslash-escaped).
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]|#!~"})


def _cell(value: object) -> str:
    """A table cell of scraped text: shown as text, never as markup, HTML or a link."""
    text = html.escape(str(value if value is not None else ""), quote=False)
    return " ".join(text.translate(_MARKDOWN).split())


def source_records(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one record per source of a run summary, in source order.

    A record is what ``wiredupe sources`` shows and the run report tabulates.

    Crawl figures come from the crawl's statistics (see :mod:`crawler.fetchlog`):
    ``discovered`` distinct article URLs, ``fetched`` responses archived,
    ``not_modified`` feeds and sitemaps unchanged since the last night, ``skipped``
    and ``errors`` as ``{outcome: count}``. Storage figures come from the extract
    stage: ``stored`` new articles, ``already_stored``, ``rejected`` pages (fetched,
    but no article), of which ``empty`` pages were fetched whole and held no
    article. ``empty_rate`` is the share of the article pages extracted that held
    none, ``error_rate`` the share of the requests that failed (``None`` over too
    few pages, see :func:`flows.health.rate`). ``new_groups`` and ``new_copies``
    come from the dedupe stage (see :func:`storage.night_group_counts`), ``health``
    is what :func:`flows.health.source_health` found. ``failed`` is why the crawl
    failed, or ``None``.
    """
    stored = summary.get("stored") or {}
    names = sorted({*summary.get("sources", {}), *summary.get("failed_sources", {})})
    records = []
    for name in names:
        crawl = summary.get("sources", {}).get(name) or {}
        figures = {k: stored.get(k, {}).get(name, 0) for k in _STORE_FIGURES}
        errors = dict(crawl.get("errors_by_outcome", {}))
        fetched, failed = crawl.get("fetched", 0), sum(errors.values())
        extracted = figures["stored"] + figures["already_stored"] + figures["empty"]
        groups = summary.get("groups_by_source", {}).get(name, {})
        records.append(
            {
                "source": name,
                "run_id": summary.get("run_id"),
                "discovered": crawl.get("discovered", 0),
                "fetched": fetched,
                "not_modified": crawl.get("not_modified", 0),
                **figures,
                "skipped": dict(crawl.get("skipped", {})),
                "errors": errors,
                EMPTY_RATE: rate(figures["empty"], extracted),
                ERROR_RATE: rate(failed, fetched + failed),
                "new_groups": groups.get("new_groups", 0),
                "new_copies": groups.get("new_copies", 0),
                "health": list(summary.get("health", {}).get(name, [])),
                "failed": summary.get("failed_sources", {}).get(name),
            }
        )
    return records


_STORE_FIGURES = ("stored", "already_stored", "rejected", "empty")


def source_history(
    stats: Mapping[str, Sequence[dict[str, Any]]], *, configured: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Return each source's records, by source name, then newest first.

    Args:
        stats: each source's records of its latest runs, as
            :func:`storage.source_stats` returns them.
        configured: sources of ``sources.toml``: listed even if no run has crawled
            them yet (with zero figures, no run id and a ``total`` of 0).
    """
    found: dict[str, Sequence[dict[str, Any]]] = {name: () for name in configured}
    found.update(stats)
    records: list[dict[str, Any]] = []
    for name in sorted(found):
        records += found[name] or [{**_never_crawled(name), "total": 0}]
    return records


def _never_crawled(name: str) -> dict[str, Any]:
    # The record of a crawl with no figures, in no run.
    (record,) = source_records({"sources": {name: {}}})
    return record


def counts_text(counts: dict[str, int]) -> str:
    """``{"seen": 12, "robots": 1}`` as ``seen 12, robots 1`` (``-`` when empty)."""
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "-"


def health_lines(records: Sequence[dict[str, Any]]) -> list[str]:
    """One line per problem of a source: ``source: problem`` (see :mod:`flows.health`)."""
    return [f"{r['source']}: {problem}" for r in records for problem in r.get("health", ())]


def _percent(value: float | None) -> str:
    # Not "-": the Prefect UI renders a table artifact's cells as markdown (a list item).
    return "n/a" if value is None else f"{value:.0%}"


def source_table_rows(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the per-source table artifact: one per source, figures as numbers."""
    return [
        {
            "source": r["source"],
            "discovered": r["discovered"],
            "fetched": r["fetched"],
            "stored": r["stored"],
            "skipped": sum(r["skipped"].values()),
            "errors": sum(r["errors"].values()),
            "no article": _percent(r.get(EMPTY_RATE)),
            "new groups": r.get("new_groups", 0),
            "new copies in existing groups": r.get("new_copies", 0),
            # The Prefect UI renders a cell as markdown: a crawl's error quotes its log.
            "health": _cell("; ".join(r.get("health", ()))) or "ok",
        }
        for r in records
    ]


def summary_markdown(summary: dict[str, Any]) -> str:
    """Render a run summary as markdown: sources, health, grouping."""
    stored = summary["stored"]
    records = summary.get("by_source") or source_records(summary)
    lines = [
        f"# wiredupe run {summary['run_id']}: {summary.get('status', '')}",
        "",
        "| source | discovered | fetched | unchanged | stored | already stored | rejected "
        "| skipped | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in records:
        if r["failed"]:
            # The crawl produced no figures; why it failed goes where its errors would.
            lines.append(
                f"| {_cell(r['source'])} |{' - |' * 7} crawl failed: {_cell(r['failed'])} |"
            )
            continue
        lines.append(
            f"| {_cell(r['source'])} | {r['discovered']} | {r['fetched']} | {r['not_modified']} "
            f"| {r['stored']} | {r['already_stored']} | {r['rejected']} "
            f"| {_cell(counts_text(r['skipped']))} | {_cell(counts_text(r['errors']))} |"
        )
    for damage in stored.get("damaged", []):
        lines.append(f"\nDamaged archive: {_cell(damage)}")
    problems = health_lines(records)
    lines += ["", "## Health", ""]
    lines += [f"- {_cell(p)}" for p in problems] or ["Every source looks as usual."]
    g = summary["grouped"]
    lines += [
        "",
        f"Grouped {g['articles']} new articles: {g['new_groups']} new groups, "
        f"{g['grown_groups']} groups grew.",
    ]
    return "\n".join(lines) + "\n"


def night_groups_markdown(run_id: int, found: Mapping[str, Sequence[dict[str, Any]]]) -> str:
    """Render a night's largest new and growing groups (see :func:`storage.night_groups`)."""
    lines = [f"# Story groups of wiredupe run {run_id}"]
    for kind, heading, none in (
        ("new", "Largest new groups", "No group was opened."),
        ("growing", "Largest growing groups", "No earlier group grew."),
    ):
        lines += ["", f"## {heading}", ""]
        groups = found.get(kind, ())
        if not groups:
            lines.append(none)
            continue
        lines += [
            "| group | title | agency | origin | outlets | articles | new tonight |",
            "|---:|---|---|---|---:|---:|---:|",
        ]
        for g in groups:
            origin = g["origin"]["source"] if g["origin"] else ""
            lines.append(
                f"| {g['id']} | {_cell(g['title'])} | {_cell(g['agency'] or '-')} "
                f"| {_cell(origin)} | {g['outlets']} | {g['size']} | {g['added']} |"
            )
    return "\n".join(lines) + "\n"
