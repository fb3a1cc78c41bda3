"""One worker against two: a night on a Prefect work pool, its crawls and its extraction.

A generated news web (``benchmarks/nights.py``'s: ``--sites`` sites of ``--articles``
articles each, on 127.0.0.1, with a crawl delay of ``--delay`` s, as a polite
crawl has) is crawled by nights on a work pool, with a Prefect server started
once. Each night is registered by ``wiredupe schedule --pool`` and started by hand
(as the UI's Run button does); one worker (``--limit 1``) holds the night itself,
and the crawls go to the crawl workers:

- **one worker**: one ``prefect worker start --limit 2`` (two crawls at once), and a
  local Dask cluster of one process for the extraction;
- **two workers**: two of them (four crawls at once), and two Dask processes.

Every night starts from an empty store (SQLite) and archive. Read from the Prefect
server afterwards: the crawl stage (the first crawl's start to the last one's
end), the extraction (the ``wiredupe-extract`` subflow run), the whole night, and
from the crawls' statistics the responses fetched. The figures to read are the
ratios two against one, and the per-worker rates (pages a second) that the
README's sizing table starts from. The machine has two cores: two Dask
processes can at best double the extraction, and the crawls, bound by the
politeness delay rather than the processor, gain from more at once.

Run from the repository root::

    .venv/bin/python benchmarks/workers.py [--sites 8] [--articles 60] [--delay 0.25]
        [--page-kb 100] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# Read by Prefect at import: a benchmark phones nobody.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from benchmarks.nights import prefect_server, sources_toml, write_site
from demo.server import serve_web

ROOT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def _env(api_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIREDUPE_", "PREFECT_"))}
    env.update(
        PREFECT_API_URL=api_url,
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        # Workers look for work every second: the night's own time, not polling, is measured.
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="1",
        **extra,
    )
    return env


@contextmanager
def workers(pool: str, limits: list[int], api_url: str, folder: Path) -> Iterator[list[Any]]:
    """Start one ``prefect worker start`` per limit; stop them all afterwards."""
    started = []
    try:
        for n, limit in enumerate(limits):
            home = folder / f"worker-{n}"
            home.mkdir(parents=True, exist_ok=True)
            argv = [PREFECT, "worker", "start", "--pool", pool, "--type", "process"]
            argv += ["--name", f"{pool}-{n}", "--limit", str(limit)]
            with (home / "worker.log").open("wb") as log:
                started.append(
                    subprocess.Popen(
                        argv, cwd=home, env=_env(api_url, home / "prefect-home"), stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )  # fmt: skip
        yield started
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=60)


def _wait_online(client: Any, pool: str, count: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        found = client.read_workers_for_work_pool(pool, offset=0, limit=100)
        if sum(w.status == "ONLINE" for w in found) >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(found)} of {count} workers of {pool} came online")
        time.sleep(0.5)


def _children(client: Any, night_id: Any) -> list[Any]:
    """The flow runs a night started: its crawls and its extraction."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
    from prefect.client.schemas.sorting import FlowRunSort

    return list(
        client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[night_id])
            ),
            sort=FlowRunSort.START_TIME_ASC,
            limit=200,
        )
    )


class CrawlMemory:
    """Sample, while the block runs, the memory of each crawl: Scrapy's process and its parent.

    The parent of a ``scrapy crawl`` process is its flow run's process (``python -m
    prefect.engine``); the two together are what a crawl slot of a worker costs.
    """

    def __init__(self, every: float = 0.5) -> None:
        self._every = every
        self._peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> CrawlMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self._every):
            for process in psutil.process_iter(["cmdline"]):
                cmdline = process.info.get("cmdline") or []
                if "scrapy" not in cmdline or "crawl" not in cmdline:
                    continue
                try:
                    parent = process.parent()
                    rss = process.memory_info().rss + (parent.memory_info().rss if parent else 0)
                except psutil.Error:  # the crawl ended between the listing and the reading
                    continue
                self._peaks[process.pid] = max(self._peaks.get(process.pid, 0), rss)

    def per_slot_mb(self) -> float:
        """The median, over the crawls seen, of a crawl's peak (MB)."""
        return statistics.median(self._peaks.values()) / 2**20 if self._peaks else 0.0


def _task_runs(client: Any, flow_run_id: Any) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, TaskRunFilter
    from prefect.client.schemas.sorting import TaskRunSort

    found: list[Any] = []
    while True:  # the API answers 200 at a time
        page = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(),
            deployment_filter=None,
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=200,
            offset=len(found),
        )
        found.extend(page)
        if len(page) < 200:
            return [t for t in found if t.start_time and t.end_time]


def pad_pages(root: Path, kilobytes: int) -> None:
    """Give every article page a sidebar of links ``kilobytes`` long, as news pages have.

    The generated pages are a few kilobytes; real ones carry 100 to 300 KB of menus,
    link lists and scripts, which is what extraction spends its time on.
    """
    link = '<li><a href="/news/{n}.html">Headline number {n} of the sidebar list</a></li>'
    per_link = len(link.format(n=1000))
    sidebar = "".join(link.format(n=n) for n in range(kilobytes * 1024 // per_link))
    for page in root.glob("*/news/*.html"):
        if page.name == "index.html":
            continue
        html = page.read_text(encoding="utf-8")
        page.write_text(
            html.replace("</main>", f"<aside><ul>{sidebar}</ul></aside></main>", 1),
            encoding="utf-8",
        )


def night_on_pool(
    crawl_workers: int, delay: float, sources_text: str, api_url: str, folder: Path
) -> dict[str, Any]:
    """One night with ``crawl_workers`` crawl workers and as many Dask processes."""
    from prefect.client.orchestration import get_client

    folder.mkdir(parents=True)
    sources = folder / "sources.toml"
    # Two crawls at once per worker: as many as their slots.
    sources.write_text(
        f"[crawl]\ndelay = {delay}\nparallel_sources = {2 * crawl_workers}\n\n"
        f"[extract]\nworkers = {crawl_workers}\n\n{sources_text}",
        encoding="utf-8",
    )
    pool = f"bench-{crawl_workers}-{uuid.uuid4().hex[:6]}"
    subprocess.run(
        [sys.executable, "-m", "flows", "schedule", "--sources", str(sources), "--pool", pool],
        cwd=folder,
        env=_env(
            api_url,
            folder / "prefect-home",
            WIREDUPE_DATABASE_URL=f"sqlite:///{folder / 'store.db'}",
            WIREDUPE_ARCHIVE_DIR=str(folder / "archive"),
        ),
        check=True,
        capture_output=True,
    )
    with get_client(sync_client=True) as client, workers(pool, [1], api_url, folder / "n"):
        _wait_online(client, pool, 1)
        deployment = client.read_deployment_by_name("wiredupe-night/nightly")
        run = client.create_flow_run_from_deployment(deployment.id)
        while not (state := client.read_flow_run(run.id).state) or not state.is_running():
            time.sleep(0.2)
        with workers(pool, [2] * crawl_workers, api_url, folder / "c"):
            while not (state := client.read_flow_run(run.id).state) or not state.is_final():
                time.sleep(1)
        if not state.is_completed():
            raise RuntimeError(f"the night ended {state.name}: {state.message}")
        night = client.read_flow_run(run.id)
        children = _children(client, run.id)
        crawls = [r for r in children if r.name.startswith("crawl-")]
        (extraction,) = [r for r in children if not r.name.startswith("crawl-")]
        tasks = _task_runs(client, extraction.id)
    run_dir = next((folder / "archive" / "runs").iterdir())
    stats = {
        p.name.removesuffix(".stats.json"): json.loads(p.read_text())
        for p in run_dir.glob("*.stats.json")
    }
    fetched = sum(s["fetched"] for s in stats.values())
    articles = sum(s["fetched_by_kind"].get("article", 0) for s in stats.values())
    # What a flow run adds to its crawl: its process's start, the files' publishing.
    overheads = [
        (r.end_time - r.start_time).total_seconds()
        - (
            datetime.fromisoformat(stats[r.name.removeprefix("crawl-")]["finished"])
            - datetime.fromisoformat(stats[r.name.removeprefix("crawl-")]["started"])
        ).total_seconds()
        for r in crawls
    ]
    # The extraction's work: its first task's start to its last one's end (before it, the
    # local Dask cluster starts its processes).
    first, last = min(t.start_time for t in tasks), max(t.end_time for t in tasks)
    return {
        "cluster": (first - extraction.start_time).total_seconds(),
        "extract_work": (last - first).total_seconds(),
        "tasks": len(tasks),
        "overhead": statistics.median(overheads),
        # From the night's asking to the crawl's start: a worker's poll, its process's start.
        "startup": statistics.median((r.start_time - r.created).total_seconds() for r in crawls),
        "crawl": (
            max(r.end_time for r in crawls) - min(r.start_time for r in crawls)
        ).total_seconds(),
        "extract": (extraction.end_time - extraction.start_time).total_seconds(),
        "night": (night.end_time - night.start_time).total_seconds(),
        "crawls": len(crawls),
        "fetched": fetched,
        "articles": articles,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--articles", type=int, default=60, help="per site")
    parser.add_argument("--delay", type=float, default=0.25, help="crawl delay per site, s")
    parser.add_argument("--page-kb", type=int, default=100, help="sidebar added to each page")
    parser.add_argument(
        "--repeat", type=int, default=2, help="nights of each kind, in the order 1 2 2 1 ..."
    )
    args = parser.parse_args()
    sites = [f"site{i}" for i in range(1, args.sites + 1)]
    # ABBA: a drift of the machine (a warming disk cache, a busier neighbour) falls on both.
    order = [n for k in range(args.repeat) for n in ((1, 2) if k % 2 == 0 else (2, 1))]
    results: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory(prefix="wiredupe-workers-") as tmp:
        workdir = Path(tmp)
        for site in sites:
            write_site(workdir / "web", site, args.articles)
        pad_pages(workdir / "web", args.page_kb)
        with serve_web(root=workdir / "web") as web, prefect_server() as api_url:
            text = sources_toml(web, sites)
            for k, count in enumerate(order):
                folder = workdir / f"night-{k}-{count}"
                with CrawlMemory() as memory:
                    night = night_on_pool(count, args.delay, text, api_url, folder)
                results[count].append({**night, "slot_mb": memory.per_slot_mb()})
    median = {
        n: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for n, runs in results.items()
    }
    one, two = median[1], median[2]
    print(
        f"a night on a work pool: {args.sites} sites of {args.articles} articles "
        f"(+{args.page_kb} KB of links a page), crawl delay {args.delay} s, SQLite, one Prefect "
        f"server; {one['fetched']:.0f} responses, {one['articles']:.0f} article pages; median "
        f"of {args.repeat} nights each, in the order {' '.join(map(str, order))} (2-core machine)"
    )
    print(f"{'':40s} {'one worker':>11s} {'two workers':>12s} {'two / one':>10s}")
    rows = (
        ("crawl", "crawl stage, s"),
        ("extract", "extraction subflow, s"),
        ("cluster", "  of which the local cluster's start, s"),
        ("extract_work", "  of which its tasks, s"),
        ("night", "whole night, s"),
    )
    for key, label in rows:
        print(f"{label:40s} {one[key]:11.1f} {two[key]:12.1f} {two[key] / one[key]:10.2f}")
    for n, r in median.items():
        crawl, extract = r["fetched"] / r["crawl"], r["articles"] / r["extract_work"]
        print(
            f"{n} worker(s): crawl {crawl:.1f} responses/s ({crawl / n:.1f} per worker), "
            f"extraction {extract:.1f} pages/s ({extract / n:.1f} per Dask process; "
            f"{r['tasks']:.0f} tasks); a crawl's flow run starts {r['startup']:.1f} s after it "
            f"is asked for and adds {r['overhead']:.1f} s to its crawl; a crawl slot (its flow "
            f"run's process and Scrapy's) holds {r['slot_mb']:.0f} MB at its peak"
        )


if __name__ == "__main__":
    main()
