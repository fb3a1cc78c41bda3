"""The nightly pipeline as a Prefect flow: crawl, extract, dedupe, report.

Thin by design: the flow body is the calls; each task is one call into a
package. Tasks take and return identifiers, paths and plain dicts, so they can
be retried, and run elsewhere, on their own.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from prefect import Flow, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.states import Completed, Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

import storage
from crawler.run import crawl_command, crawl_env, crawl_outputs
from dedupe import DedupeConfig
from extract import WarcReadError, extract_warc
from flows.childlog import run_logged
from flows.config import Settings, load_settings
from flows.errors import CrawlFailed, RunFailed
from flows.grouping import group_new_articles
from flows.health import RECENT_NIGHTS, source_health
from flows.report import (
    health_lines,
    night_groups_markdown,
    source_records,
    source_table_rows,
    summary_markdown,
)
from flows.stages import (
    StoreCounts,
    boilerplate_memory,
    extraction_processes,
    lasting_failures,
    open_store,
    store_extracted,
    write_seen_file,
)

__all__ = ["PARTIAL", "PARTIAL_STATE", "night", "night_flow", "run_night", "run_pipeline"]

# A night where some sources could not be crawled: the run's status in the
# database, and the name of the flow run's final (Failed) state.
PARTIAL = "partially_failed"
PARTIAL_STATE = "Partially failed"


@task(name="start-run", cache_policy=NO_CACHE)
def start_run(db_url: str, archive_dir: str, sources: list[str], seen_days: int) -> tuple[int, str]:
    """Record the run, and write each source's seen-URL file for its crawl to skip."""
    logger = get_run_logger()
    since = datetime.now(UTC) - timedelta(days=seen_days)
    with open_store(db_url) as sessions:
        with sessions.begin() as session:
            run_id = storage.start_run(session, "run")
        run_dir = Path(archive_dir) / "runs" / f"{run_id:06d}"
        for name in sources:
            seen = write_seen_file(sessions, _seen_file(run_dir, name), source=name, since=since)
            logger.info("run %d: %s: %d known URLs will not be fetched again", run_id, name, seen)
    return run_id, str(run_dir)


@task(name="crawl", task_run_name="crawl-{source}", cache_policy=NO_CACHE)
def crawl_source(
    sources_file: str,
    source: str,
    run_dir: str,
    scrapy_settings: dict[str, str],
    cache_dir: str,
    timeout: float,
) -> dict[str, Any]:
    """Crawl one source in a child process (Scrapy's reactor cannot restart).

    ``cache_dir`` keeps the source's feeds and sitemaps between nights, so that
    they are asked for with ``If-None-Match``/``If-Modified-Since``. The crawl's
    log goes to ``{source}.crawl.log`` (each attempt appended) and, from INFO up,
    to this task's log. A
    crawl still going after ``timeout`` seconds is stopped. Returns the crawl's
    statistics (see :mod:`crawler.fetchlog`).

    Raises:
        CrawlFailed: the crawl process failed or was stopped (the task is retried).
    """
    logger = get_run_logger()
    out = Path(run_dir)
    argv = crawl_command(
        sources_file=Path(sources_file),
        source=source,
        out_dir=out,
        seen_file=_seen_file(out, source),
        cache_dir=Path(cache_dir),
        settings=scrapy_settings,
    )
    log_path = out / f"{source}.crawl.log"
    returncode = run_logged(argv, crawl_env(os.environ), log_path, logger, timeout)
    if returncode is None:
        raise CrawlFailed(f"crawl of {source!r} still going after {timeout:g} s; stopped")
    if returncode != 0:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-3:]
        raise CrawlFailed(
            f"crawl of {source!r} exited with {returncode}; see {log_path}: " + " | ".join(tail)
        )
    stats_file = crawl_outputs(out, source).stats
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.exists() else {}
    logger.info("crawled %s: %s", source, json.dumps(stats, sort_keys=True))
    return stats


@task(name="extract", cache_policy=NO_CACHE)
def extract_and_store(
    db_url: str,
    warc_paths: list[str],
    fetch_logs: list[str],
    sources: list[str],
    run_id: int,
    workers: int,
) -> dict[str, Any]:
    """Extract the articles of the archived responses and store each URL once.

    Each source's boilerplate learned on earlier nights is applied, and what this
    night teaches is stored for the next. Pages are extracted by ``workers``
    processes (0: one per core). Article URLs the crawl found to be no page at
    all (a PDF, empty, too large, a redirect loop, gone) are recorded as rejected
    too, so that later nights do not fetch them again.
    """
    logger = get_run_logger()
    failures = [
        row
        for log in map(Path, fetch_logs)
        if log.exists()
        for row in lasting_failures(log, lambda problem: logger.warning("%s", problem))
    ]
    counts = StoreCounts()
    with open_store(db_url) as sessions:
        with sessions.begin() as session:
            storage.record_rejections(session, run_id, failures)
        with boilerplate_memory(sessions, sources) as memory, extraction_processes(workers) as pool:
            for path in map(Path, warc_paths):
                if not path.exists():
                    continue
                try:
                    outcomes = extract_warc(path, memory=memory, pool=pool)
                    store_extracted(sessions, outcomes, run_id, counts)
                except WarcReadError as exc:
                    # A crawl killed mid-write leaves a truncated archive: what was read
                    # before the damage is stored, the rest is reported, the night goes on.
                    logger.warning("%s", exc)
                    counts.damaged.append(str(exc))
    logger.info(
        "stored %d new articles, %d already stored, %d pages rejected",
        counts.total("stored"),
        counts.total("already_stored"),
        counts.total("rejected"),
    )
    return asdict(counts)


@task(name="dedupe", cache_policy=NO_CACHE)
def dedupe_stored(db_url: str, config: dict[str, Any], index_url: str) -> dict[str, Any]:
    """Place the articles that have no group yet into story groups."""
    logger = get_run_logger()
    with open_store(db_url) as sessions:
        counts = group_new_articles(
            sessions,
            DedupeConfig(**config),
            index_url=index_url,
            on_batch=lambda done, total: logger.info("grouped %d of %d articles", done, total),
        )
    logger.info(
        "grouped %d articles: %d new groups, %d groups grew, %d merged",
        counts.articles,
        counts.new_groups,
        counts.grown_groups,
        counts.merged_groups,
    )
    return asdict(counts)


@task(name="report", cache_policy=NO_CACHE)
def report(db_url: str, run_id: int, summary: dict[str, Any]) -> dict[str, Any]:
    """Finish the run record: per-source figures and health, and the run's artifacts.

    Three artifacts, under keys that stay the same night after night (so that
    each has a history in the UI): ``wiredupe-sources`` (a table, one row per
    source), ``wiredupe-story-groups`` (the night's largest new and growing
    groups) and ``wiredupe-run-summary``. Each source's problems (see
    :mod:`flows.health`) are logged as warnings and put in all three places.
    """
    logger = get_run_logger()
    status = "completed" if not summary["failed_sources"] else PARTIAL
    with open_store(db_url) as sessions, sessions.begin() as session:
        summary = {
            **summary,
            "status": status,
            "groups_by_source": storage.night_group_counts(session, run_id),
        }
        runs = storage.list_runs(session, 4 * RECENT_NIGHTS, kind="run")
        earlier = storage.records_by_source(runs, before=run_id)
        records = source_records(summary)
        for r in records:
            r["health"] = source_health(r, earlier.get(r["source"], []))
        summary["health"] = {r["source"]: r["health"] for r in records if r["health"]}
        summary["by_source"] = records
        storage.finish_run(session, run_id, status, summary)
        groups = storage.night_groups(session, run_id)
    for line in health_lines(summary["by_source"]):
        logger.warning("health: %s", line)
    create_table_artifact(
        table=source_table_rows(summary["by_source"]),
        key="wiredupe-sources",
        description=f"wiredupe run {run_id}: each source's night",
    )
    create_markdown_artifact(
        markdown=night_groups_markdown(run_id, groups),
        key="wiredupe-story-groups",
        description=f"wiredupe run {run_id}: the largest new and growing story groups",
    )
    create_markdown_artifact(
        markdown=summary_markdown(summary),
        key="wiredupe-run-summary",
        description=f"wiredupe run {run_id}",
    )
    return summary


@task(name="fail-run", cache_policy=NO_CACHE)
def fail_run(db_url: str, run_id: int, reason: str) -> None:
    """Record that a run ended without doing its work, and why."""
    with open_store(db_url) as sessions, sessions.begin() as session:
        storage.finish_run(session, run_id, "failed", {"error": reason})


@flow(name="wiredupe-night", log_prints=True)
def night(
    sources_file: str,
    db_url: str | None = None,
    only_sources: list[str] | None = None,
    crawl_delay: float | None = None,
    window_days: int | None = None,
) -> State[dict[str, Any]]:
    """Crawl every source, extract, store, group and report: one night's pass.

    The run ends Completed when every source was crawled, in the Failed state
    named "Partially failed" when some could not be (the others' articles are
    stored and grouped; the result is still the summary), and Failed when none
    could be or the database is unreachable.

    Args:
        sources_file: path of ``sources.toml``.
        db_url: database URL; the configuration's (``WIREDUPE_DATABASE_URL``, then
            the file) when ``None``. Prefer ``None``: a flow parameter is shown in
            the Prefect UI, passwords included.
        only_sources: crawl only these sources (all when ``None``).
        crawl_delay: seconds between requests to one site (overrides the file).
        window_days: match new articles with those of this many days (overrides
            the file's ``[dedupe] window_days``).
    """
    settings = load_settings(
        Path(sources_file),
        overrides={
            "database": {"url": db_url},
            "crawl": {"delay": crawl_delay},
            "dedupe": {"window_days": window_days},
        },
        require_sources=True,
    )
    summary = run_pipeline(settings, only_sources)
    if summary["failed_sources"]:
        failed = ", ".join(sorted(summary["failed_sources"]))
        return Failed(
            name=PARTIAL_STATE,
            message=f"crawl failed for {failed}; the other sources were stored and grouped",
            data=summary,
        )
    return Completed(data=summary)


def night_flow(settings: Settings) -> Flow[..., State[dict[str, Any]]]:
    """Return the nightly flow with its crawls bounded by ``crawl.parallel_sources``."""
    runner: ThreadPoolTaskRunner[Any] = ThreadPoolTaskRunner(
        max_workers=settings.crawl.parallel_sources
    )
    # Prefect's annotation wants the runner's future type spelled out; it is the same.
    return night.with_options(task_runner=cast("TaskRunner[PrefectFuture[Any]]", runner))


def run_night(
    settings: Settings, *, only_sources: list[str] | None = None, **parameters: Any
) -> dict[str, Any]:
    """Run the nightly flow in this process; return its summary.

    A partly failed night returns its summary too (its ``status`` says so, and
    its ``failed_sources`` why); ``parameters`` are more of the flow's.

    Raises:
        RunFailed: no source could be crawled.
        storage.DatabaseUnavailable: the database could not be reached.
    """
    state = night_flow(settings)(
        sources_file=str(settings.sources_file),
        only_sources=only_sources,
        return_state=True,
        **parameters,
    )
    if state.is_failed() and state.name == PARTIAL_STATE:
        return cast("dict[str, Any]", state.result(raise_on_failure=False))
    # The summary, or the exception the run failed with (raised here).
    return cast("dict[str, Any]", state.result())


def run_pipeline(settings: Settings, only_sources: list[str] | None = None) -> dict[str, Any]:
    """The flow's body: the calls of one night, in order (must run inside a flow).

    Raises:
        RunFailed: no source could be crawled (the run is recorded as failed).
    """
    db = settings.database.url
    names = [s.name for s in settings.sources if not only_sources or s.name in only_sources]
    run_id, run_dir = start_run(db, settings.archive.dir, names, settings.crawl.seen_days)
    try:
        cache = Path(settings.archive.dir) / "http-cache"
        c = settings.crawl
        crawl = crawl_source.with_options(
            retries=c.source_retries,
            retry_delay_seconds=exponential_backoff(c.source_retry_delay)(c.source_retries),
        )
        futures = {
            name: crawl.submit(
                str(settings.sources_file),
                name,
                run_dir,
                settings.scrapy_settings(),
                str(cache / name),
                c.source_timeout,
            )
            for name in names
        }
        crawled: dict[str, dict[str, Any]] = {}  # each source's crawl statistics
        failed: dict[str, str] = {}
        for name, future in futures.items():
            state = future.wait() or future.state
            if state.is_completed():
                crawled[name] = future.result()
            else:
                failed[name] = _why_failed(state)
        if names and not crawled:
            raise RunFailed(
                "no source could be crawled: "
                + "; ".join(f"{name}: {reason}" for name, reason in failed.items())
            )
        # A failed crawl's partial archive is extracted too: what it fetched is kept.
        outputs = [crawl_outputs(Path(run_dir), name) for name in names]
        stored = extract_and_store(
            db,
            [str(o.warc) for o in outputs],
            [str(o.fetch_log) for o in outputs],
            names,
            run_id,
            settings.extract.workers,
        )
        grouped = dedupe_stored(db, asdict(settings.dedupe), settings.index.url)
        summary = {
            "run_id": run_id,
            "sources": crawled,
            "failed_sources": failed,
            "stored": stored,
            "grouped": grouped,
        }
        return report(db, run_id, summary)
    except Exception as exc:
        fail_run(db, run_id, str(exc))
        raise


def _why_failed(state: State[Any]) -> str:
    """The error a failed task raised, as its one line; else the state's message."""
    error = state.result(raise_on_failure=False)
    if isinstance(error, Exception):
        return str(error) or type(error).__name__
    return str(state.message or state.name)


def _seen_file(run_dir: Path, source: str) -> Path:
    return run_dir / "seen" / f"{source}.txt"
