"""The night's extraction as a flow of its own, its tasks on Dask (prefect-dask).

Each source's WARC archive is cut into batches of records
(:func:`extract.warc_batches`); each batch is an ``extract-SOURCE-N`` task that any
Dask worker runs, reading the archive where it lies (a shared folder, or any
fsspec URL). Once a source's batches are done, its ``store-SOURCE`` task learns
the source's boilerplate from all of them together (so the articles are the same
as one process would give), stores its articles, each URL once, and records its
rejected pages. The flow returns the stores' counts, summed.

The Dask cluster is a local one by default (``[extract] workers`` processes, one
per core), started for the flow and stopped after it; with ``[extract] dask =
"tcp://HOST:8786"`` it is an existing scheduler's, whose workers must have
wiredupe installed and reach the archive, the database and the Prefect server.
A Dask worker that dies mid-batch has its batches run again by Dask on another
worker; storing is one transaction per 500 articles and skips stored URLs, so a
batch stored twice stores nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from itertools import chain
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner
from prefect_dask import DaskTaskRunner
from pydantic import SecretStr

import storage
from extract import (
    PageResult,
    WarcBatch,
    WarcReadError,
    all_cores,
    extract_batch,
    finish_extraction,
    warc_batches,
)
from flows.archive import crawl_file, exists, local_copy
from flows.stages import (
    StoreCounts,
    boilerplate_memory,
    lasting_failures,
    open_store,
    store_extracted,
)

__all__ = ["dask_runner", "extract_night"]

# A Dask worker puts its scratch folder first on sys.path, and that folder holds a
# "storage" folder (its spill space). Where wiredupe is installed through an import
# hook (pip's default editable mode) rather than a path entry, `import storage`
# finds that empty folder instead: say so here, not as a puzzling AttributeError.
if getattr(storage, "__file__", None) is None:
    raise ImportError(
        "the 'storage' package found is not wiredupe's (a Dask worker's spill folder): "
        "install wiredupe with `pip install .`, or `pip install -e . --config-settings "
        "editable_mode=compat` (as `make` does)"
    )

# Quiet, line-based logs: the cluster's own INFO lines (a worker started, a
# connection closed) are not the night's news.
_DASK_LOG_LEVEL = logging.WARNING
# Each task reads the archive or writes the database: an error of either (a network
# blip, a failover) is tried again after a pause before it fails the night.
_IO_RETRIES: dict[str, Any] = {"retries": 2, "retry_delay_seconds": 10}


@task(name="plan", task_run_name="plan-{source}", cache_policy=NO_CACHE, **_IO_RETRIES)
def plan_archive(warc: str, source: str, pages: int) -> tuple[list[WarcBatch], str | None]:
    """Cut one source's archive into batches; with the damage found, if any.

    A source whose crawl wrote no archive (it failed before its first page) has
    no batch. A damaged archive's batches stop at the damage, which is returned
    as its one-line description.

    Args:
        warc: the archive's location (a path or a URL).
        source: the source's name (for the task run's name).
        pages: article candidates per batch.

    Returns:
        The batches, and the damage's description or None.
    """
    del source  # in the task run's name only
    if not exists(warc):
        return [], None
    batches: list[WarcBatch] = []
    try:
        batches.extend(warc_batches(warc, pages=pages))
    except WarcReadError as exc:
        # A crawl killed mid-write leaves a truncated archive: what was read before
        # the damage is stored, the rest is reported, the night goes on.
        get_run_logger().warning("%s", exc)
        return batches, str(exc)
    return batches, None


@task(
    name="extract-batch",
    task_run_name="extract-{source}-{batch.index}",
    cache_policy=NO_CACHE,
    **_IO_RETRIES,
)
def extract_records(batch: WarcBatch, source: str) -> list[PageResult]:
    """Parse and extract one batch of a source's archive (see :func:`extract.extract_batch`).

    Args:
        batch: the records to read.
        source: the source's name (for the task run's name).
    """
    del source  # in the task run's name only
    return extract_batch(batch)


@task(name="store", task_run_name="store-{source}", cache_policy=NO_CACHE, **_IO_RETRIES)
def store_source(
    db_url: str,
    run_id: int,
    source: str,
    fetch_log: str,
    parts: list[list[PageResult]],
    damage: str | None,
) -> StoreCounts:
    """Finish one source's pages (its boilerplate learned from all of them) and store them.

    The article URLs its crawl found to be no page at all (a PDF, empty, too
    large, a redirect loop, gone) are recorded as rejected too, so that later
    nights do not fetch them again. Run again, it stores nothing twice.

    Args:
        db_url: the database URL (a task's parameters are not shown in the UI).
        run_id: the run the articles are stored under.
        source: the source's name.
        fetch_log: the location of its crawl's fetch log.
        parts: each batch's results, in the archive's order.
        damage: the archive's damage, to report with the counts.

    Returns:
        What was stored and rejected.
    """
    logger = get_run_logger()
    with local_copy(fetch_log) as log:
        failures = lasting_failures(log, lambda p: logger.warning("%s", p)) if log else []
    counts = StoreCounts()
    with open_store(db_url) as sessions:
        with sessions.begin() as session:
            storage.record_rejections(session, run_id, failures)
        with boilerplate_memory(sessions, [source]) as memory:
            outcomes = finish_extraction(chain.from_iterable(parts), memory)
            store_extracted(sessions, outcomes, run_id, counts)
    if damage is not None:
        counts.damaged.append(damage)
    logger.info("%s: %s", source, counts.summary())
    return counts


@flow(name="wiredupe-extract")
def extract_night(
    db_url: SecretStr, run_dir: str, sources: list[str], run_id: int, batch_pages: int
) -> dict[str, Any]:
    """Extract and store the archives of one night's sources; return the counts.

    Args:
        db_url: the database URL; a secret, so that the UI, which shows a flow run's
            parameters, shows no password.
        run_dir: the run's folder or URL (see :mod:`flows.archive`).
        sources: the sources whose archives to extract (a failed crawl's partial
            archive too: what it fetched is kept).
        run_id: the run the articles are stored under.
        batch_pages: article candidates per extraction task.
    """
    plans = {
        name: plan_archive.submit(crawl_file(run_dir, name, "warc"), name, batch_pages)
        for name in sources
    }
    stores = []
    for name, plan in plans.items():
        batches, damage = plan.result()
        # Futures: Prefect hands the store task their results, worker to worker.
        parts: Any = [extract_records.submit(batch, name) for batch in batches]
        fetch_log = crawl_file(run_dir, name, "fetch_log")
        stores.append(
            store_source.submit(db_url.get_secret_value(), run_id, name, fetch_log, parts, damage)
        )
    total = StoreCounts()
    for future in stores:
        total.merge(future.result())
    get_run_logger().info("%s", total.summary())
    return asdict(total)


def dask_runner(address: str, workers: int = 0) -> TaskRunner[PrefectFuture[Any]]:
    """The task runner of :func:`extract_night`.

    Args:
        address: a Dask scheduler's address (``tcp://HOST:8786``); ``""`` for a
            local cluster made for the flow and closed after it.
        workers: processes of the local cluster, one thread each (extraction is
            CPU-bound and holds the GIL); 0 for one per core.
    """
    if address:
        runner = DaskTaskRunner(address=address)
    else:
        runner = DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers or all_cores(),
                "threads_per_worker": 1,
                "processes": True,
                # A free port: two clusters on one machine (two nights, a test) never clash.
                "dashboard_address": ":0",
                "silence_logs": _DASK_LOG_LEVEL,
            }
        )
    # Prefect's annotation wants the runner's future type spelled out; it is one.
    return cast("TaskRunner[PrefectFuture[Any]]", runner)
