"""A night's crawls: one source's crawl, in this process's flow or as a flow run of a work pool.

A crawl runs Scrapy in a child process (its reactor cannot restart) and writes
its files into the run's folder (see :mod:`flows.archive`): the WARC archive,
the fetch log, the statistics and the crawl log. When that folder is a URL the
crawl writes to a local folder first and puts each file there when it ends, a
failed crawl's too (what it fetched is still extracted).

- :func:`crawl_source` crawls one source where it is called: a task of the
  night in ``wiredupe run``, and the one task of a ``wiredupe-crawl`` flow run.
- :func:`crawl_flow` (``wiredupe-crawl``) is what the work pool's deployment
  runs, so that any worker of the pool may take a source's crawl.
- :func:`crawl_on_pool` starts such a flow run for one source and waits for it;
  when the flow run fails, crashes (its worker was killed) or never ends, it
  raises, and the night's retry starts a new flow run, which any live worker
  takes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from crawler.run import crawl_command, crawl_env, crawl_outputs
from flows.archive import crawl_file, join, local_copy, publish, read_text, staging
from flows.childlog import run_logged
from flows.errors import CrawlFailed

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

__all__ = [
    "crawl_flow",
    "crawl_on_pool",
    "crawl_source",
    "seen_file",
    "sources_snapshot",
]

# Beyond a crawl's own timeout, how long a flow run on the pool may take to start
# its process and to put its files in the archive before it counts as lost (its
# worker killed, say).
_POOL_GRACE = 120.0
# How often the night asks the Prefect server how a crawl's flow run is doing.
_POLL_SECONDS = 2.0


def seen_file(run_dir: str, source: str) -> str:
    """Where the URLs the crawl of ``source`` must not fetch again are, in a run's folder."""
    return join(run_dir, "seen", f"{source}.txt")


def sources_snapshot(run_dir: str) -> str:
    """Where the ``sources.toml`` a night ran with is kept, in its run's folder.

    Crawls read this copy, not the file the night was started with, so that a
    worker on another machine needs no copy of its own.
    """
    return join(run_dir, "sources.toml")


@task(name="crawl", task_run_name="crawl-{source}", cache_policy=NO_CACHE)
def crawl_source(
    run_dir: str,
    source: str,
    scrapy_settings: dict[str, str],
    cache_dir: str,
    timeout: float,
) -> dict[str, Any]:
    """Crawl one source in a child process; return the crawl's statistics.

    The crawl's log goes to ``{source}.crawl.log`` (each attempt appended) and,
    from INFO up, to this task's log. Each attempt writes the source's archive
    and fetch log anew: a failed night keeps what its last attempt fetched.

    Args:
        run_dir: the run's folder or URL (see :mod:`flows.archive`), which holds
            the night's ``sources.toml`` and the source's seen URLs.
        source: the source's name.
        scrapy_settings: Scrapy settings for the crawl (``-s KEY=VALUE``).
        cache_dir: keeps the source's feeds and sitemaps between nights, so that
            they are asked for with ``If-None-Match``/``If-Modified-Since``; ``~``
            is the home of the machine that crawls.
        timeout: seconds after which a crawl still going is stopped.

    Returns:
        The crawl's statistics (see :mod:`crawler.fetchlog`).

    Raises:
        CrawlFailed: the crawl process failed or was stopped (the task is retried).
    """
    logger = get_run_logger()
    with staging(run_dir) as out:
        outputs = crawl_outputs(out, source)
        log_name = f"{source}.crawl.log"
        with (
            local_copy(sources_snapshot(run_dir), out) as sources_file,
            local_copy(seen_file(run_dir, source), out) as seen,
            local_copy(join(run_dir, log_name), out),  # each attempt appends to it
        ):
            if sources_file is None:
                raise CrawlFailed(f"no sources.toml at {sources_snapshot(run_dir)}")
            argv = crawl_command(
                sources_file=sources_file,
                source=source,
                out_dir=out,
                seen_file=seen,
                cache_dir=Path(cache_dir).expanduser(),  # ~: this machine's home
                settings=scrapy_settings,
            )
            log_path = out / log_name
            try:
                returncode = run_logged(argv, crawl_env(os.environ), log_path, logger, timeout)
            finally:
                for path in (outputs.warc, outputs.fetch_log, outputs.stats, log_path):
                    if path.exists():
                        publish(path, join(run_dir, path.name))
            # Read here, from the local copies, not again from the archive.
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-3:]
            stats = (
                json.loads(outputs.stats.read_text(encoding="utf-8"))
                if outputs.stats.exists()
                else {}
            )
    if returncode is None:
        raise CrawlFailed(f"crawl of {source!r} still going after {timeout:g} s; stopped")
    if returncode != 0:
        raise CrawlFailed(
            f"crawl of {source!r} exited with {returncode}; see {join(run_dir, log_name)}: "
            + " | ".join(tail)
        )
    logger.info("crawled %s: %s", source, json.dumps(stats, sort_keys=True))
    return stats


@flow(name="wiredupe-crawl", flow_run_name="crawl-{source}")
def crawl_flow(
    run_dir: str,
    source: str,
    scrapy_settings: dict[str, str],
    cache_dir: str,
    timeout: float,
) -> dict[str, Any]:
    """One source's crawl as a flow run: what a work pool's worker runs for a night.

    Args are those of :func:`crawl_source`; the night's retries start new flow
    runs, so this flow retries nothing itself.
    """
    return crawl_source(run_dir, source, scrapy_settings, cache_dir, timeout)


@task(name="crawl", task_run_name="crawl-{source}", cache_policy=NO_CACHE)
def crawl_on_pool(
    deployment: str,
    run_dir: str,
    source: str,
    scrapy_settings: dict[str, str],
    cache_dir: str,
    timeout: float,
) -> dict[str, Any]:
    """Crawl one source as a flow run of ``deployment``, taken by any worker of its pool.

    Waits for the flow run to end. One that no worker has taken ``timeout``
    seconds after it was made (no worker is up, or all are busy), or that is
    still going ``timeout`` seconds and a grace (for starting and for putting its
    files in the archive) after it started, is cancelled: its worker stops its
    processes, and the night waits for that before it goes on, so that a retry
    never writes the source's files beside a dying crawl.

    Args:
        deployment: the crawl deployment, ``wiredupe-crawl/crawl``.
        run_dir: the run's folder or URL (see :mod:`flows.archive`).
        source: the source's name.
        scrapy_settings: the crawl's Scrapy settings.
        cache_dir: the source's HTTP cache folder (``~`` is the crawling machine's home).
        timeout: seconds a crawl may take (the night's ``source_timeout``).

    Returns:
        The crawl's statistics (see :mod:`crawler.fetchlog`).

    Raises:
        CrawlFailed: the flow run failed, crashed, was cancelled or was lost (the
            task is retried, which starts a new flow run).
    """
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    logger = get_run_logger()
    parameters = {
        "run_dir": run_dir,
        "source": source,
        "scrapy_settings": scrapy_settings,
        "cache_dir": cache_dir,
        "timeout": timeout,
    }
    run = cast(
        "FlowRun",
        run_deployment(
            deployment, parameters=parameters, flow_run_name=f"crawl-{source}", timeout=0
        ),
    )
    logger.info("crawl of %s: flow run %s (%s) waits for a worker", source, run.name, run.id)
    made, started = time.monotonic(), None
    with get_client(sync_client=True) as client:
        while True:
            run = client.read_flow_run(run.id)
            state = run.state
            if state is not None and state.is_final():
                break
            now = time.monotonic()
            if started is None and state is not None and state.is_running():
                started = now
            if started is None and now - made > timeout:
                _cancel(client, run.id, started=False)
                raise CrawlFailed(
                    f"crawl of {source!r} (flow run {run.name}) was not taken by any worker "
                    f"within {timeout:g} s; cancelled"
                )
            if started is not None and now - started > timeout + _POOL_GRACE:
                _cancel(client, run.id, started=True)
                raise CrawlFailed(
                    f"crawl of {source!r} (flow run {run.name}) still running "
                    f"{timeout + _POOL_GRACE:g} s after it started; cancelled"
                )
            time.sleep(_POLL_SECONDS)
    if not state.is_completed():
        raise CrawlFailed(
            f"crawl of {source!r} (flow run {run.name}) ended {state.name}: "
            f"{state.message or 'no message'}"
        )
    return _stats(run_dir, source)


def _cancel(client: Any, run_id: Any, *, started: bool) -> None:
    """Cancel a crawl's flow run, and wait (a while) for its worker to have stopped it.

    A run no worker has taken is cancelled at once. A running one is asked to stop
    (``Cancelling``: its worker kills its processes and marks it ``Cancelled``);
    when no worker does so in time (its machine is gone), it is marked
    ``Cancelled`` by force.
    """
    from prefect.states import Cancelled, Cancelling

    if not started:
        client.set_flow_run_state(run_id, Cancelled(), force=True)
        return
    client.set_flow_run_state(run_id, Cancelling(), force=True)
    deadline = time.monotonic() + _POOL_GRACE
    while time.monotonic() < deadline:
        state = client.read_flow_run(run_id).state
        if state is not None and state.is_final():
            return
        time.sleep(_POLL_SECONDS)
    client.set_flow_run_state(run_id, Cancelled(message="its worker did not answer"), force=True)


def _stats(run_dir: str, source: str) -> dict[str, Any]:
    """The statistics a crawl wrote (empty when it wrote none)."""
    text = read_text(crawl_file(run_dir, source, "stats"))
    stats: dict[str, Any] = json.loads(text) if text else {}
    return stats
