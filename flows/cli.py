"""The ``wiredupe`` command line: every command of DESIGN.md's contract.

Errors that a user can fix (a missing file, bad TOML, an unknown field, an
unreachable database) are printed as one line on stderr with exit code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from dedupe import DedupeConfig
    from flows.config import Settings

__all__ = ["app", "main"]

app = typer.Typer(
    name="wiredupe",
    help="Crawl news sites, strip boilerplate, and group syndicated wire copies into stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_P = ParamSpec("_P")
_R = TypeVar("_R")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (default sqlite:///wiredupe.db; env WIREDUPE_DATABASE_URL).",
        show_default=False,
    ),
]
LshOption = Annotated[
    str | None,
    typer.Option(
        "--lsh",
        help='Where the LSH index lives: "memory" (default) or redis://HOST:PORT/DB '
        "(kept between runs; env WIREDUPE_INDEX_URL).",
        show_default=False,
    ),
]
DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help="A Dask scheduler (tcp://HOST:8786) whose workers extract the night's archives "
        "(default: a local cluster; env WIREDUPE_EXTRACT_DASK).",
        show_default=False,
    ),
]
SourcesOption = Annotated[
    Path, typer.Option("--sources", help="The sources.toml file.", show_default=False)
]


class GroupFormat(StrEnum):
    """Output formats of ``groups`` and ``group``."""

    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


class ExportFormat(StrEnum):
    """Output formats of ``export``; parquet is binary and goes to a file (``--output``)."""

    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


def _stdout() -> Console:
    # soft_wrap: a message stays one line in logs and pipes; tables still fit the width.
    return Console(highlight=False, soft_wrap=True)


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _user_errors() -> tuple[type[BaseException], ...]:
    from crawler.errors import SourcesError
    from dedupe import DedupeError
    from flows.errors import WiredupeError
    from storage import StorageError

    return (SourcesError, DedupeError, WiredupeError, StorageError)


def _one_line_errors(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn typed errors into one line on stderr: exit 2 for a user's, 1 for a failed run."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        from flows.errors import RunFailed

        try:
            return func(*args, **kwargs)
        except RunFailed as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        except _user_errors() as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def _settings(
    sources: Path | None = None,
    db: str | None = None,
    *,
    require_sources: bool = False,
    **tables: dict[str, Any],
) -> Any:
    from flows.config import load_settings

    return load_settings(
        sources, overrides={"database": {"url": db}, **tables}, require_sources=require_sources
    )


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A session on the configured database, migrated to the newest schema first."""
    from flows.stages import open_store

    with open_store(settings.database.url) as sessions, sessions() as session:
        yield session


def _parse_when(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """Accept an ISO date or time, or a relative age such as ``36h`` or ``7d`` (ago).

    With ``end_of_day`` (for ``--until``), a bare date is the last instant of that
    day, so that ``--until 2025-11-22`` keeps the 22nd.
    """
    if value is None:
        return None
    match = re.fullmatch(r"(\d+)([hd])", value.strip())
    if match:
        n, unit = int(match.group(1)), match.group(2)
        return datetime.now(UTC) - (timedelta(hours=n) if unit == "h" else timedelta(days=n))
    from extract import parse_timestamp

    try:
        when = parse_timestamp(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date: use 2025-11-21, 2025-11-21T06:00, 36h or 7d"
        ) from None
    if end_of_day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return when + timedelta(days=1, microseconds=-1)
    return when


def _prefect_env(settings: Settings) -> None:
    """Prepare the environment of a flow run in this process.

    Prefect reads its settings at import: no analytics, and INFO logs. The flow
    loads its settings again from the sources file and the environment, so what
    flags set (the database and index URLs, the Dask scheduler) goes there, not
    into flow parameters, which the Prefect UI would show, passwords included.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ["WIREDUPE_DATABASE_URL"] = settings.database.url
    os.environ["WIREDUPE_INDEX_URL"] = settings.index.url
    if settings.extract.dask:
        os.environ["WIREDUPE_EXTRACT_DASK"] = settings.extract.dask


@contextmanager
def _progress(console: Console) -> Iterator[Callable[[str, int, int], None]]:
    """Yield a progress callback: a rich bar at a terminal, a line per step elsewhere."""
    if not console.is_terminal:

        def log(stage: str, done: int, total: int) -> None:
            console.print(f"{stage}: {done} of {total}")

        yield log
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _print_run_summary(summary: dict[str, Any], console: Console) -> None:
    from flows.output import sources_table

    stored, grouped = summary["stored"], summary["grouped"]
    sources_table(summary["by_source"], console)
    total = {k: sum(stored[k].values()) for k in ("stored", "already_stored", "rejected")}
    console.print(
        f"run {summary['run_id']}: {summary.get('status', '')}: "
        f"{total['stored']} new articles stored, {total['already_stored']} already stored, "
        f"{total['rejected']} pages rejected; {grouped['new_groups']} new groups, "
        f"{grouped['grown_groups']} groups grew"
    )
    for damage in stored.get("damaged", []):
        console.print(f"damaged archive: {damage}", markup=False)


@app.command()
@_one_line_errors
def run(
    sources: SourcesOption,
    db: DbOption = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Crawl only this source (repeatable).")
    ] = None,
    lsh: LshOption = None,
    dask: DaskOption = None,
) -> None:
    """One full pass: crawl, extract, dedupe, store; prints a summary."""
    from crawler.sources import get_source
    from flows.grouping import open_index
    from flows.stages import open_store

    # Configuration, sources, database and index are checked here, before Prefect starts.
    settings = _settings(
        sources, db, require_sources=True, index={"url": lsh}, extract={"dask": dask}
    )
    for name in source or []:
        get_source(settings.sources, name, origin=str(sources))
    with open_store(settings.database.url), open_index(settings.dedupe, settings.index.url):
        pass
    _prefect_env(settings)
    from flows.pipeline import PARTIAL, run_night

    summary = run_night(settings, only_sources=source)
    _print_run_summary(summary, _stdout())
    if summary["status"] == PARTIAL:
        # Still exit 0 (the run completed, as DESIGN's contract says); the Prefect
        # state, the run record and this line tell that some sources failed.
        failed = ", ".join(sorted(summary["failed_sources"]))
        _stderr().print(
            f"run {summary['run_id']} partially failed: the crawl of {failed} failed",
            markup=False,
        )


@app.command()
@_one_line_errors
def ingest(
    files: Annotated[list[Path], typer.Argument(help="JSON-lines or WARC files.")],
    db: DbOption = None,
    lsh: LshOption = None,
) -> None:
    """Store articles from JSON lines or WARC files, then group them."""
    from flows.ingest import ingest_files

    settings = _settings(None, db, index={"url": lsh})
    err = _stderr()
    with _progress(err) as progress:
        summary = ingest_files(
            files,
            db_url=settings.database.url,
            dedupe=settings.dedupe,
            on_error=lambda e: err.print(str(e), markup=False),
            workers=settings.extract.workers,
            index_url=settings.index.url,
            on_progress=progress,
        )
    grouped = summary.grouped
    _stdout().print(
        f"{summary.files} files: {summary.stored.total('stored')} new articles, "
        f"{summary.stored.total('already_stored')} already stored, "
        f"{summary.stored.total('rejected')} rejected, {summary.bad_lines} bad lines skipped; "
        f"{grouped.new_groups if grouped else 0} new groups, "
        f"{grouped.grown_groups if grouped else 0} groups grew"
    )


@app.command()
@_one_line_errors
def sources(
    sources_file: Annotated[
        Path | None,
        typer.Option("--sources", help="Also list the sources of this file not crawled yet."),
    ] = None,
    db: DbOption = None,
    runs: Annotated[int, typer.Option(min=1, help="The last N runs of each source.")] = 1,
    fmt: Annotated[GroupFormat, typer.Option("--format", help="Output format.")] = (
        GroupFormat.table
    ),
) -> None:
    """Per source and run: discovered, fetched, stored, skipped by reason, errors."""
    import storage
    from flows.output import source_csv_row, sources_table, write_records
    from flows.report import source_history

    settings = _settings(sources_file, db)
    with _session(settings) as session:
        stats = storage.source_stats(session, per_source=runs)
    records = source_history(stats, configured=[s.name for s in settings.sources])
    if fmt is GroupFormat.table:
        sources_table(records, _stdout())
    else:
        write_records(records, fmt.value, sys.stdout, csv_row=source_csv_row)


@app.command()
@_one_line_errors
def groups(
    db: DbOption = None,
    since: Annotated[
        str | None, typer.Option(help="Only groups with articles since (2025-11-21, 7d).")
    ] = None,
    min_size: Annotated[int, typer.Option(min=1, help="Only groups of at least N.")] = 1,
    until: Annotated[
        str | None, typer.Option(help="Only groups with articles until (2025-11-22, 1d).")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(help='Full text of titles and articles: words, "phrases", prefix*.'),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Only groups with an article of this source.")
    ] = None,
    agency: Annotated[
        str | None, typer.Option(help="Only groups of this agency (AFP, Reuters, ...).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most N groups.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip the first N groups.")] = 0,
    fmt: Annotated[GroupFormat, typer.Option("--format", help="Output format.")] = (
        GroupFormat.table
    ),
) -> None:
    """Story groups, largest and newest first."""
    import storage
    from flows.output import GROUP_CSV_FIELDS, group_csv_row, groups_table, write_records

    with _session(_settings(None, db)) as session:
        found = storage.list_groups(
            session,
            since=_parse_when(since),
            until=_parse_when(until, end_of_day=True),
            min_size=min_size,
            search=search,
            source=source,
            agency=agency,
            limit=limit,
            offset=offset,
        )
    if fmt is GroupFormat.table:
        groups_table(found, _stdout())
    else:
        write_records(
            found, fmt.value, sys.stdout, csv_fields=GROUP_CSV_FIELDS, csv_row=group_csv_row
        )


# What ``wiredupe group`` does besides showing a group.
_CORRECTIONS = ("split", "merge", "move")


@app.command(
    epilog=(
        "Corrections, which later runs respect: "
        "'group split ID ARTICLE...' moves the articles to a new group; "
        "'group merge ID OTHER...' merges the other groups into ID; "
        "'group move ARTICLE... --to ID' moves articles to group ID."
    )
)
@_one_line_errors
def group(
    target: Annotated[
        str, typer.Argument(metavar="ID|split|merge|move", help="A group id, or a correction.")
    ],
    ids: Annotated[
        list[int] | None,
        typer.Argument(metavar="[IDS]...", help="For a correction: the group and article ids."),
    ] = None,
    to: Annotated[
        int | None, typer.Option("--to", help="move: the group the articles go to.")
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="A correction's reason, kept with it.")
    ] = None,
    db: DbOption = None,
    fmt: Annotated[GroupFormat, typer.Option("--format", help="Output format.")] = (
        GroupFormat.table
    ),
) -> None:
    """One group: its articles, origin, agency, and what each copy changed.

    Or a correction by a person: split, merge or move (see below).
    """
    import storage
    from flows.output import group_detail, write_records
    from flows.stages import open_store

    correction = not target.isdigit()
    if correction and target not in _CORRECTIONS:
        raise typer.BadParameter(f"{target!r} is neither a group id nor split, merge or move")
    if not correction and ids:
        raise typer.BadParameter("a group id takes no further ids; did you mean a correction?")
    settings = _settings(None, db)
    # One store for the correction and the group shown after it.
    with open_store(settings.database.url) as sessions:
        group_id = (
            _correct(sessions, settings.dedupe, target, ids or [], to, note)
            if correction
            else int(target)
        )
        with sessions() as session:
            record = storage.get_group(session, group_id)
    if record["id"] != group_id:
        _stderr().print(f"group {group_id} was merged into group {record['id']}")
    if fmt is GroupFormat.table:
        group_detail(record, _stdout())
    elif fmt is GroupFormat.json:
        write_records([record], "jsonl", sys.stdout)
    else:
        write_records(record["articles"], fmt.value, sys.stdout)


def _correct(
    sessions: sessionmaker[Session],
    config: DedupeConfig,
    action: str,
    ids: list[int],
    to: int | None,
    note: str | None,
) -> int:
    """Apply a correction; return the group to show afterwards."""
    from flows import grouping

    err = _stderr()
    if action == "move":
        if to is None or not ids:
            raise typer.BadParameter("usage: wiredupe group move ARTICLE... --to GROUP")
        left = grouping.move_articles(sessions, ids, to, config, note)
        err.print(f"moved {len(ids)} articles to group {to} (from group {left})")
        return to
    if to is not None:
        raise typer.BadParameter("--to is for move")
    if len(ids) < 2:
        raise typer.BadParameter(
            f"usage: wiredupe group {action} GROUP "
            + ("ARTICLE..." if action == "split" else "OTHER_GROUP...")
        )
    group_id, rest = ids[0], ids[1:]
    if action == "split":
        new_id = grouping.split_group(sessions, group_id, rest, config, note)
        err.print(f"split {len(rest)} articles of group {group_id} into new group {new_id}")
        return new_id
    grouping.merge_groups(sessions, group_id, rest, config, note)
    err.print(f"merged groups {rest} into group {group_id}")
    return group_id


@app.command()
@_one_line_errors
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = (
        ExportFormat.jsonl
    ),
    db: DbOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of stdout (parquet: required)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Only articles published since (2025-11-21, 7d; undated: fetched)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only articles published until (2025-11-22, 1d).")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only articles of this source.")] = None,
    agency: Annotated[
        str | None, typer.Option(help="Only articles of this agency (AFP, Reuters, ...).")
    ] = None,
    min_size: Annotated[
        int, typer.Option(min=1, help="Only articles of groups of at least N.")
    ] = 1,
    search: Annotated[
        str | None,
        typer.Option(help='Only articles matching: words, "phrases", prefix* (full text).'),
    ] = None,
) -> None:
    """One record per article, with its group_id: JSON lines, CSV or Parquet."""
    import storage
    from flows.output import write_export

    if fmt is ExportFormat.parquet and output is None:
        raise typer.BadParameter("parquet is binary: give --output FILE", param_hint="'--output'")
    filters: dict[str, Any] = {
        "since": _parse_when(since),
        "until": _parse_when(until, end_of_day=True),
        "source": source,
        "agency": agency,
        "min_size": min_size,
        "search": search,
    }
    with _session(_settings(None, db)) as session:
        n = write_export(storage.export_articles(session, **filters), fmt.value, output)
    if output is not None:
        _stderr().print(f"wrote {n} articles to {output}", markup=False)


@app.command()
@_one_line_errors
def demo(db: DbOption = None) -> None:
    """Serve the bundled demo web on 127.0.0.1 and run the pipeline against it."""
    settings = _settings(None, db)
    _prefect_env(settings)
    from flows.demo import run_demo
    from flows.output import groups_table

    console = _stdout()
    summary, found = run_demo(settings, console)
    _print_run_summary(summary, console)
    groups_table(found, console)
    console.print(
        "Next: .venv/bin/wiredupe groups --format json | .venv/bin/wiredupe group ID "
        "| .venv/bin/wiredupe api",
        markup=False,
    )


@app.command()
@_one_line_errors
def schedule(
    sources: SourcesOption,
    db: DbOption = None,
    cron: Annotated[str | None, typer.Option(help="Cron expression (default 0 2 * * *).")] = None,
    timezone: Annotated[str | None, typer.Option(help="Time zone of the cron.")] = None,
    pool: Annotated[
        str | None,
        typer.Option(
            "--pool",
            help="Register the nightly deployment on this Prefect work pool (created if "
            "missing) and exit: `prefect worker start --pool NAME` processes run the nights.",
            show_default=False,
        ),
    ] = None,
    lsh: LshOption = None,
    dask: DaskOption = None,
) -> None:
    """Serve the nightly deployment (on PREFECT_API_URL's server), or register it on a pool."""
    settings = _settings(
        sources,
        db,
        require_sources=True,
        schedule={"cron": cron, "timezone": timezone},
        index={"url": lsh},
        extract={"dask": dask},
    )
    _prefect_env(settings)
    from flows.schedule import deploy_nightly, serve_nightly

    if pool is None:
        serve_nightly(settings)
        return
    env = deploy_nightly(settings, pool)
    out = _stdout()
    out.print(
        f"registered wiredupe-night/nightly ({settings.schedule.cron}, "
        f"{settings.schedule.timezone}) and wiredupe-crawl/crawl on work pool {pool!r}",
        markup=False,
    )
    for name, value in env.items():
        out.print(f"  the runs get {name}={value}", markup=False)
    out.print(
        f"start workers where the runs may go: prefect worker start --pool {pool}", markup=False
    )


@app.command()
@_one_line_errors
def api(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
) -> None:
    """HTTP JSON API and web pages for browsing story groups."""
    import uvicorn

    from flows.stages import open_store
    from web import create_app

    settings = _settings(None, db)
    with open_store(settings.database.url):  # migrate, and fail early if unreachable
        pass
    uvicorn.run(create_app(settings.database.url), host=host, port=port, log_level="info")


def main() -> None:
    """Entry point of the ``wiredupe`` script."""
    app()
