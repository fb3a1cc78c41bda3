"""Run summaries as text: the Prefect markdown artifact and the CLI's closing lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["summary_markdown"]


def _cell(value: object) -> str:
    # Titles come from scraped pages: keep them from breaking the table.
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def summary_markdown(summary: dict[str, Any], groups: Sequence[dict[str, Any]]) -> str:
    """Render a run summary and its largest groups as markdown."""
    stored = summary["stored"]
    lines = [
        f"# wiredupe run {summary['run_id']}: {summary.get('status', '')}",
        "",
        "| source | discovered | fetched | stored | already stored | rejected |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, stats in sorted(summary["sources"].items()):
        lines.append(
            f"| {_cell(name)} | {stats.get('discovered', 0)} | {stats.get('fetched', 0)} "
            f"| {stored['stored'].get(name, 0)} | {stored['already_stored'].get(name, 0)} "
            f"| {stored['rejected'].get(name, 0)} |"
        )
    for name, reason in sorted(summary["failed_sources"].items()):
        lines.append(f"| {_cell(name)} | failed: {_cell(reason)} | | | | |")
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
