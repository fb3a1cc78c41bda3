"""Rendering group and article records for the terminal and for other programs."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from flows.errors import OutputError
from flows.report import counts_text

__all__ = [
    "GROUP_CSV_FIELDS",
    "article_csv_row",
    "group_csv_row",
    "group_detail",
    "groups_table",
    "source_csv_row",
    "sources_table",
    "write_export",
    "write_records",
]

GROUP_CSV_FIELDS = (
    "id",
    "size",
    "title",
    "agency",
    "first_published",
    "last_published",
    "origin_url",
    "origin_source",
    "sources",
)


def group_csv_row(group: dict[str, Any]) -> dict[str, Any]:
    """A group record as one CSV row (columns :data:`GROUP_CSV_FIELDS`)."""
    origin = group.get("origin") or {}
    return {
        "id": group["id"],
        "size": group["size"],
        "title": group["title"],
        "agency": group["agency"],
        "first_published": group["first_published"],
        "last_published": group["last_published"],
        "origin_url": origin.get("url"),
        "origin_source": origin.get("source"),
        "sources": ";".join(group["sources"]),
    }


# A cell starting with one of these is run as a formula by spreadsheet programs;
# scraped titles must not be able to do that (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value
        for key, value in row.items()
    }


def write_records(
    records: Iterable[dict[str, Any]],
    fmt: str,
    out: TextIO,
    *,
    csv_fields: Sequence[str] | None = None,
    csv_row: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> int:
    """Write records as ``json`` (one array), ``jsonl`` or ``csv``; return the count.

    ``csv_row`` turns a record into a flat CSV row (JSON keeps records as they are);
    ``csv_fields`` are the columns (by default the first row's keys).
    """
    n = 0
    if fmt == "json":
        items = list(records)
        json.dump(items, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return len(items)
    if fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
        return n
    if fmt == "csv":
        writer: csv.DictWriter[str] | None = None
        for record in records:
            row = _csv_safe(csv_row(record) if csv_row else record)
            if writer is None:
                writer = csv.DictWriter(
                    out, fieldnames=list(csv_fields or row.keys()), extrasaction="ignore"
                )
                writer.writeheader()
            writer.writerow(row)
            n += 1
        return n
    raise ValueError(f"unknown format {fmt!r}")


def article_csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """An exported article as one CSV row: a nested value (``changes``) as its JSON text."""
    return {
        key: json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        for key, value in record.items()
    }


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """Yield where to write ``path``: a file beside it that replaces it once complete.

    A failed or interrupted export then leaves no partial file, and the previous
    export in place. What is not a regular file (``/dev/stdout``, a pipe) is
    written in place.
    """
    if path.exists() and not path.is_file():
        yield path
        return
    target = path.resolve()  # through a symbolic link: the file it names is replaced
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def write_export(records: Iterable[dict[str, Any]], fmt: str, output: Path | None) -> int:
    """Write exported article records as ``jsonl``, ``csv`` or ``parquet``; return the count.

    Args:
        records: article records, as :func:`storage.export_articles` yields them;
            the file is opened before the first is asked for.
        fmt: ``jsonl``, ``csv`` or ``parquet``.
        output: the file to write (replaced once the export is complete), or None
            for stdout (not for ``parquet``, which is binary).

    Raises:
        OutputError: the file cannot be written; the message says which and why.
        ValueError: ``parquet`` without a file.
    """
    if output is None:
        if fmt == "parquet":
            raise ValueError("parquet is binary: it needs a file, not stdout")
        return write_records(records, fmt, sys.stdout, csv_row=article_csv_row)
    try:
        with _replacing(output) as path:
            if fmt == "parquet":
                from flows.parquet import write_parquet

                with path.open("wb") as fh:
                    return write_parquet(records, fh)
            with path.open("w", encoding="utf-8", newline="") as fh:
                return write_records(records, fmt, fh, csv_row=article_csv_row)
    except OSError as exc:
        raise OutputError(f"cannot write {output}: {exc.strerror or exc}") from exc


def _day(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "-"


def groups_table(groups: Sequence[dict[str, Any]], console: Console) -> None:
    """Print groups as a table that reads in an 80-column terminal."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("agency", no_wrap=True)
    table.add_column("first published", no_wrap=True)
    # The title, and under it the origin's source, get the rest of the width.
    table.add_column("title / origin", overflow="fold")
    for g in groups:
        origin = (g.get("origin") or {}).get("source") or "-"
        # Text(...) so that scraped titles are never read as console markup.
        title = Text(g["title"] or "(untitled)")
        title.append(f"\n{origin}", style="dim")
        table.add_row(
            str(g["id"]),
            str(g["size"]),
            Text(g["agency"] or "-"),
            _day(g["first_published"]),
            title,
        )
    console.print(table)


def group_detail(group: dict[str, Any], console: Console) -> None:
    """Print one group: header lines, then one row per copy."""
    origin = group.get("origin") or {}
    title = group["title"] or "(untitled)"
    console.print(Text(f"Story group {group['id']}: {title}", style="bold"))
    console.print(Text(f"agency: {group['agency'] or 'unknown'}   size: {group['size']}"))
    evidence = next(
        (a["agency_evidence"] for a in group["articles"] if a.get("agency_evidence")), None
    )
    if evidence:
        console.print(Text(f"credited as: {evidence[:120]}"))
    console.print(Text(f"origin: {origin.get('source', '-')}  {origin.get('url', '')}"))
    if group.get("merged_from"):
        merged = ", ".join(str(g) for g in group["merged_from"])
        console.print(Text(f"merged into it: group {merged}"))
    table = Table()
    table.add_column("published", no_wrap=True)
    table.add_column("source", overflow="fold")
    table.add_column("sim.", justify="right", no_wrap=True)
    table.add_column("title / url / what the copy changed", overflow="fold")
    for a in group["articles"]:
        marker = " (origin)" if a["is_origin"] else ""
        sim = "-" if a["similarity"] is None else f"{a['similarity']:.2f}"
        changed = (a.get("changes") or {}).get("summary") or ""
        table.add_row(
            _day(a["published"]),
            Text(a["source"] + marker),
            sim,
            Text(f"{a['title'] or '(untitled)'}\n{a['url']}" + (f"\n{changed}" if changed else "")),
        )
    console.print(table)


def source_csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A ``wiredupe sources`` record as one CSV row: skips and errors as text.

    No skips (or errors) is an empty cell: ``-`` would reach a spreadsheet as ``'-``.
    """
    return {
        **record,
        **{key: counts_text(record[key]) if record[key] else "" for key in ("skipped", "errors")},
    }


def sources_table(records: Sequence[dict[str, Any]], console: Console) -> None:
    """Print one row per source and run, then each row's skips and errors by reason.

    Columns: article URLs found, responses fetched, feeds and sitemaps unchanged
    (304), new articles stored, articles already known, pages rejected (rej.), URLs
    skipped and errors (err.); the reasons follow the table, one line per row, then
    each health problem (see :mod:`flows.health`), so that it reads in an 80-column
    terminal.
    """
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("source", overflow="fold", min_width=14)
    for name in ("run", "found", "fetch", "304", "new", "known", "rej.", "skip", "err."):
        table.add_column(name, justify="right", no_wrap=True)
    details: list[Text] = []
    for r in records:
        run = "-" if r["run_id"] is None else str(r["run_id"])
        if r["failed"]:
            table.add_row(Text(r["source"]), run, *[""] * 7, "-")
            details.append(Text(f"{r['source']} (run {run}): crawl failed: {r['failed']}"))
            continue
        figures = ("discovered", "fetched", "not_modified", "stored", "already_stored", "rejected")
        skipped, errors = sum(r["skipped"].values()), sum(r["errors"].values())
        table.add_row(
            Text(r["source"]), run, *(str(r[k]) for k in figures), str(skipped), str(errors)
        )
        if skipped or errors:
            details.append(
                Text(
                    f"{r['source']} (run {run}): skipped {counts_text(r['skipped'])}; "
                    f"errors {counts_text(r['errors'])}"
                )
            )
        for problem in r.get("health", ()):
            details.append(Text(f"{r['source']} (run {run}): health: {problem}"))
    console.print(table)
    for line in details:
        console.print(line)
