"""The nightly pipeline as a Prefect flow: crawl, extract, dedupe, report.

Thin by design: the flow body is the calls; each task is one call into a
package. Tasks take and return identifiers, paths and plain dicts, so they can
be retried, and run elsewhere, on their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture, as_completed
from prefect.states import Completed, Failed, State
from prefect.tasks import exponential_backoff
from pydantic import SecretStr

import storage
from dedupe import DedupeConfig
from flows.archive import publish, run_location, staging
from flows.config import Settings, load_settings
from flows.crawling import crawl_on_pool, crawl_source, seen_file, sources_snapshot
from flows.errors import RunFailed
from flows.extraction import dask_runner, extract_night
from flows.grouping import group_new_articles
from flows.health import RECENT_NIGHTS, source_health
from flows.report import (
    health_lines,
    night_groups_markdown,
    source_records,
    source_table_rows,
    summary_markdown,
)
from flows.stages import open_store, write_seen_file

__all__ = ["PARTIAL", "PARTIAL_STATE", "night", "run_night", "run_pipeline"]

# A night where some sources could not be crawled: the run's status in the
# database, and the name of the flow run's final (Failed) state.
PARTIAL = "partially_failed"
PARTIAL_STATE = "Partially failed"


@task(name="start-run", cache_policy=NO_CACHE)
def start_run(
    db_url: str, archive_dir: str, sources_file: str, sources: list[str], seen_days: int
) -> tuple[int, str]:
    """Record the run; put in its folder the sources file and each source's seen URLs.

    Returns the run's id and its folder (a path, or a URL: see :mod:`flows.archive`).
    """
    logger = get_run_logger()
    since = datetime.now(UTC) - timedelta(days=seen_days)
    with open_store(db_url) as sessions:
        with sessions.begin() as session:
            run_id = storage.start_run(session, "run")
        run_dir = run_location(archive_dir, run_id)
        with staging(run_dir) as local:
            # The run's files are written here as they are named in the run's folder.
            snapshot = Path(sources_snapshot(str(local)))
            snapshot.write_bytes(Path(sources_file).read_bytes())
            publish(snapshot, sources_snapshot(run_dir))
            for name in sources:
                path = Path(seen_file(str(local), name))
                seen = write_seen_file(sessions, path, source=name, since=since)
                publish(path, seen_file(run_dir, name))
                logger.info(
                    "run %d: %s: %d known URLs will not be fetched again", run_id, name, seen
                )
    return run_id, run_dir


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
    crawl_deployment: str | None = None,
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
        crawl_deployment: run each source's crawl as a flow run of this deployment
            (``wiredupe-crawl/crawl``), which any worker of its work pool takes;
            ``None`` crawls in this flow run's process.
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
    summary = run_pipeline(settings, only_sources, crawl_deployment=crawl_deployment)
    if summary["failed_sources"]:
        failed = ", ".join(sorted(summary["failed_sources"]))
        return Failed(
            name=PARTIAL_STATE,
            message=f"crawl failed for {failed}; the other sources were stored and grouped",
            data=summary,
        )
    return Completed(data=summary)


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
    with one_prefect_server():
        state = night(
            sources_file=str(settings.sources_file),
            only_sources=only_sources,
            return_state=True,
            **parameters,
        )
    if state.is_failed() and state.name == PARTIAL_STATE:
        return cast("dict[str, Any]", state.result(raise_on_failure=False))
    # The summary, or the exception the run failed with (raised here).
    return cast("dict[str, Any]", state.result())


@contextmanager
def one_prefect_server() -> Iterator[None]:
    """Make sure the block's flow runs, and their Dask workers, report to one server.

    With ``PREFECT_API_URL`` set, nothing to do. Without it, Prefect would start a
    temporary server in this process when the flow starts, and each Dask worker
    process one more of its own; this starts the one temporary server first (the
    one Prefect itself would have started) and points the block's settings, which
    travel with each task to its worker, at it.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield


def run_pipeline(
    settings: Settings,
    only_sources: list[str] | None = None,
    *,
    crawl_deployment: str | None = None,
) -> dict[str, Any]:
    """The flow's body: the calls of one night, in order (must run inside a flow).

    At most ``crawl.parallel_sources`` crawls are going at once: in this process,
    or as flow runs on the work pool of ``crawl_deployment``.

    Raises:
        RunFailed: no source could be crawled (the run is recorded as failed).
    """
    db = settings.database.url
    names = [s.name for s in settings.sources if not only_sources or s.name in only_sources]
    assert settings.sources_file is not None  # the flow loads its settings from one
    run_id, run_dir = start_run(
        db, settings.archive.dir, str(settings.sources_file), names, settings.crawl.seen_days
    )
    try:
        crawled, failed = _crawl_all(settings, names, run_dir, crawl_deployment)
        if names and not crawled:
            raise RunFailed(
                "no source could be crawled: "
                + "; ".join(f"{name}: {reason}" for name, reason in failed.items())
            )
        # A failed crawl's partial archive is extracted too: what it fetched is kept.
        x = settings.extract
        extract = extract_night.with_options(task_runner=dask_runner(x.dask, x.workers))
        stored = extract(SecretStr(db), run_dir, names, run_id, x.batch_pages)
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


def _crawl_all(
    settings: Settings, names: list[str], run_dir: str, crawl_deployment: str | None
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Crawl every source, ``parallel_sources`` at a time; each one's statistics or error.

    A source's crawl that fails or outlives ``source_timeout`` is retried
    ``source_retries`` times with growing pauses; one failing source stops no other.
    """
    c = settings.crawl
    retried: dict[str, Any] = {
        "retries": c.source_retries,
        "retry_delay_seconds": exponential_backoff(c.source_retry_delay)(c.source_retries),
    }
    here, on_pool = crawl_source.with_options(**retried), crawl_on_pool.with_options(**retried)
    cache = settings.archive.http_cache_dir
    scrapy_settings = settings.scrapy_settings()
    waiting = iter(names)
    going: dict[PrefectFuture[dict[str, Any]], str] = {}

    def start_next() -> None:
        name = next(waiting, None)
        if name is None:
            return
        cache_dir, timeout = str(cache / name), c.source_timeout
        if crawl_deployment:
            future = on_pool.submit(
                crawl_deployment, run_dir, name, scrapy_settings, cache_dir, timeout
            )
        else:
            future = here.submit(run_dir, name, scrapy_settings, cache_dir, timeout)
        going[future] = name

    for _ in range(c.parallel_sources):
        start_next()
    crawled: dict[str, dict[str, Any]] = {}
    failed: dict[str, str] = {}
    while going:
        future = next(as_completed(list(going)))
        name = going.pop(future)
        future.wait()  # as_completed may hand over a future whose state is not final yet
        state = future.state
        if state.is_completed():
            crawled[name] = future.result()
        else:
            failed[name] = _why_failed(state)
        start_next()
    # In the sources' order, as the report lists them.
    return (
        {n: crawled[n] for n in names if n in crawled},
        {n: failed[n] for n in names if n in failed},
    )


def _why_failed(state: State[Any]) -> str:
    """The error a failed task raised, as its one line; else the state's message."""
    error = state.result(raise_on_failure=False)
    if isinstance(error, Exception):
        return str(error) or type(error).__name__
    return str(state.message or state.name)
