"""A night on a Prefect work pool: two workers share it, and its groups are those of one process.

Real parts throughout: the session's Prefect server, ``wiredupe schedule --pool``
registering the deployments, two ``prefect worker start`` processes taking the
night and its crawls, Scrapy in child processes of theirs, Dask for the
extraction, and a store on SQLite (with the memory index) or on PostgreSQL with
the Redis index where CI provides them. The same demo web is crawled by a plain
``wiredupe run`` in one process; both nights must store the same articles and
group them the same way.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.server import DemoWeb, serve_web
from tests.conftest import child_env, run_wiredupe
from tests.flows.conftest import Store, check_consistent, partition

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TRUTH = json.loads((ROOT / "demo" / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_web() -> Iterator[DemoWeb]:
    with serve_web() as web:
        yield web


def _sources_file(folder: Path, web: DemoWeb) -> Path:
    path = folder / "sources.toml"
    demo = web.substitute((ROOT / "demo" / "sources.toml").read_text(encoding="utf-8"))
    path.write_text(
        f"""
[crawl]
delay = 0                    # the demo web is local
parallel_sources = 3         # three crawls at once: more than the free slots of one worker

[extract]
workers = 2
batch_pages = 4              # several extraction tasks per source

{demo}""",
        encoding="utf-8",
    )
    return path


def _env(api_url: str, home: Path, **extra: str) -> dict[str, str]:
    return child_env(
        PREFECT_API_URL=api_url,
        PREFECT_HOME=str(home),
        # Workers look for work every second (10 s by default), to keep the test short.
        PREFECT_WORKER_QUERY_SECONDS="1",
        PREFECT_WORKER_PREFETCH_SECONDS="1",
        **extra,
    )


@pytest.fixture
def start_worker() -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], Path]]]:
    """Start ``prefect worker start`` processes; each is stopped at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(
        pool: str, name: str, limit: int, env: dict[str, str], folder: Path
    ) -> tuple[subprocess.Popen[bytes], Path]:
        log = folder / f"{name}.log"
        argv = [str(Path(sys.executable).with_name("prefect")), "worker", "start"]
        argv += ["--pool", pool, "--type", "process", "--name", name, "--limit", str(limit)]
        with log.open("wb") as out:
            started.append(
                subprocess.Popen(argv, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT)
            )
        return started[-1], log

    yield start
    for worker in started:
        worker.terminate()
    for worker in started:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _wait_for_workers(pool: str, names: set[str], timeout: float = 90) -> None:
    from prefect.client.orchestration import get_client

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            # The sync client sends every argument, so each is given.
            found = client.read_workers_for_work_pool(pool, offset=0, limit=100)
            online = {w.name for w in found if w.status == "ONLINE"}
            if names <= online:
                return
            assert time.monotonic() < deadline, f"workers {names - online} never came online"
            time.sleep(1)


def _run_deployment_and_wait(name: str, timeout: float = 420) -> Any:
    """Start a run of deployment ``name`` (the UI's Run button); its final flow run."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(name)
        run = client.create_flow_run_from_deployment(deployment.id)
        deadline = time.monotonic() + timeout
        while not (state := client.read_flow_run(run.id).state) or not state.is_final():
            assert time.monotonic() < deadline, f"the night did not end: {state}"
            time.sleep(2)
        return client.read_flow_run(run.id)


def _crawl_runs(parent_id: Any) -> list[Any]:
    """The crawl flow runs a night started (its subflow runs of wiredupe-crawl)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        # The sync client sends every argument, so each is given.
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["wiredupe-crawl"])),
            flow_run_filter=FlowRunFilter(),
            sort=FlowRunSort.ID_DESC,
            limit=200,
        )
        parents = {
            r.id: client.read_task_run(r.parent_task_run_id) for r in runs if r.parent_task_run_id
        }
    return [r for r in runs if r.id in parents and parents[r.id].flow_run_id == parent_id]


def _submitted(log: Path) -> set[str]:
    """The ids of the flow runs a worker's log says it took."""
    return set(
        re.findall(r"[Ss]ubmitting flow run '([0-9a-f-]{36})'", log.read_text(errors="replace"))
    )


def test_two_workers_share_a_night_and_group_it_as_one_process_does(
    prefect_api_url: str,
    demo_web: DemoWeb,
    new_store: Callable[[], Store],
    start_worker: Callable[..., tuple[subprocess.Popen[bytes], Path]],
    tmp_path: Path,
) -> None:
    sources = _sources_file(tmp_path, demo_web)
    names = [s for s in re.findall(r'^name = "([^"]+)"', sources.read_text(), re.M)]

    # One process: a plain `wiredupe run`.
    alone_db, alone_lsh = alone = new_store()
    (tmp_path / "alone").mkdir()
    run_wiredupe(
        "run", "--sources", str(sources), "--db", alone_db, "--lsh", alone_lsh,
        cwd=tmp_path / "alone",
        env=_env(prefect_api_url, tmp_path / "alone" / "prefect-home",
                 WIREDUPE_ARCHIVE_DIR=str(tmp_path / "alone" / "data")),
    )  # fmt: skip

    # A work pool: the deployments registered, two workers, a night started by hand.
    pool = f"wiredupe-test-{uuid.uuid4().hex[:8]}"
    pooled_db, pooled_lsh = pooled = new_store()
    scheduled = run_wiredupe(
        "schedule", "--sources", str(sources), "--pool", pool, "--db", pooled_db,
        "--lsh", pooled_lsh,
        cwd=tmp_path,
        env=_env(prefect_api_url, tmp_path / "prefect-home",
                 WIREDUPE_ARCHIVE_DIR=str(tmp_path / "shared")),
    )  # fmt: skip
    assert f"on work pool {pool!r}" in scheduled.stdout
    assert f"WIREDUPE_ARCHIVE_DIR={tmp_path / 'shared'}" in scheduled.stdout

    # Two flow runs at a time each: the night holds one slot of one worker, so the
    # three crawls that start at once need the other worker too.
    workers = {}
    for name, limit in (("worker-a", 2), ("worker-b", 2)):
        folder = tmp_path / name
        folder.mkdir()
        workers[name] = start_worker(
            pool, name, limit, _env(prefect_api_url, folder / "prefect-home"), folder
        )
    _wait_for_workers(pool, set(workers))
    night = _run_deployment_and_wait("wiredupe-night/nightly")
    logs = {name: log.read_text(errors="replace") for name, (_, log) in workers.items()}
    assert night.state.is_completed(), (night.state, logs)

    # Each source's crawl was a flow run of its own, and both workers took some.
    crawls = _crawl_runs(night.id)
    assert sorted(r.name for r in crawls) == sorted(f"crawl-{n}" for n in names)
    assert all(r.state.is_completed() for r in crawls)
    taken = {name: _submitted(log) for name, (_, log) in workers.items()}
    crawl_ids = {str(r.id) for r in crawls}
    assert str(night.id) in taken["worker-a"] | taken["worker-b"]
    assert taken["worker-a"] & crawl_ids and taken["worker-b"] & crawl_ids, taken

    # The archive is where the workers wrote it; the night's files are all there.
    (run_dir,) = (tmp_path / "shared" / "runs").iterdir()
    for name in names:
        assert (run_dir / f"{name}.warc.gz").stat().st_size > 0
        assert json.loads((run_dir / f"{name}.stats.json").read_text())

    # The same articles, stored once each, in the same groups as one process gave.
    urls = {demo_web.url(a["site"], a["path"]) for a in TRUTH["articles"]}
    check_consistent(alone, urls)
    check_consistent(pooled, urls)
    assert partition(pooled_db) == partition(alone_db)


def _flow_run_processes(flow_run_id: str) -> list[Any]:
    """The processes running one flow run: its engine (found by its environment) and children."""
    import psutil

    found = []
    for process in psutil.process_iter(["environ"]):
        environ = process.info.get("environ") or {}
        if environ.get("PREFECT__FLOW_RUN_ID") == flow_run_id:
            found.append(process)
            found.extend(process.children(recursive=True))
    return found


def test_a_crawl_killed_mid_crawl_is_run_again_and_stored_once(
    prefect_api_url: str,
    start_worker: Callable[..., tuple[subprocess.Popen[bytes], Path]],
    tmp_path: Path,
) -> None:
    """The processes of a source's crawl die mid-crawl; the night's retry runs it again.

    The site's feed answers after a few seconds, so that the crawl is caught in
    the middle; its flow run's processes (the run and its Scrapy child) are
    killed, as by the out-of-memory killer (its worker lives on, and reports the
    run crashed; a worker that dies with them leaves a run that is cancelled once
    overdue, see flows.crawling). The night starts a new flow run, which a worker
    takes, and stores the site's articles once each.
    """
    from prefect.client.orchestration import get_client

    root = tmp_path / "web"
    shutil.copytree(ROOT / "demo" / "sites" / "spacewar", root / "slowwar")
    (root / "slowwar" / "_routes.toml").write_text('[[route]]\npath = "/rss.xml"\ndelay = 5.0\n')
    db = f"sqlite:///{tmp_path / 'night.db'}"
    pool = f"wiredupe-test-{uuid.uuid4().hex[:8]}"
    with serve_web(root=root) as web:
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f"""
[crawl]
delay = 0
source_retries = 2
source_retry_delay = 1

[extract]
workers = 1

[[sources]]
name = "slowwar"
feeds = ["{web.url("slowwar", "/rss.xml")}"]
sitemaps = ["{web.url("slowwar", "/sitemap.xml")}"]
pages = ["{web.url("slowwar", "/news/")}"]
""",
            encoding="utf-8",
        )
        run_wiredupe(
            "schedule", "--sources", str(sources), "--pool", pool, "--db", db,
            cwd=tmp_path,
            env=_env(prefect_api_url, tmp_path / "prefect-home",
                     WIREDUPE_ARCHIVE_DIR=str(tmp_path / "shared")),
        )  # fmt: skip
        # One worker for the night (a slot of one: it takes no crawl), then two for crawls.
        folders = {name: tmp_path / name for name in ("nights", "crawls-1", "crawls-2")}
        for folder in folders.values():
            folder.mkdir()
        env = {name: _env(prefect_api_url, f / "prefect-home") for name, f in folders.items()}
        start_worker(pool, "nights", 1, env["nights"], folders["nights"])
        _wait_for_workers(pool, {"nights"})
        with get_client(sync_client=True) as client:
            deployment = client.read_deployment_by_name("wiredupe-night/nightly")
            night = client.create_flow_run_from_deployment(deployment.id)
            deadline = time.monotonic() + 120
            while not (state := client.read_flow_run(night.id).state) or not state.is_running():
                assert time.monotonic() < deadline, f"the night never started: {state}"
                time.sleep(0.5)
            for name in ("crawls-1", "crawls-2"):
                start_worker(pool, name, 1, env[name], folders[name])

            # The crawl, caught while it waits for the feed: kill its processes.
            deadline = time.monotonic() + 120
            while not (crawls := _crawl_runs(night.id)) or not web.hits("slowwar", "/robots.txt"):
                assert time.monotonic() < deadline, "the crawl never started"
                time.sleep(0.5)
            (first,) = crawls
            while not (doomed := _flow_run_processes(str(first.id))):
                assert time.monotonic() < deadline, "no process runs the crawl"
                time.sleep(0.2)
            for process in doomed:
                process.kill()

            deadline = time.monotonic() + 300
            while not (state := client.read_flow_run(night.id).state) or not state.is_final():
                assert time.monotonic() < deadline, f"the night did not end: {state}"
                time.sleep(2)
        assert state.is_completed(), state

    runs = sorted(_crawl_runs(night.id), key=lambda r: r.start_time or r.created)
    assert [r.name for r in runs] == ["crawl-slowwar", "crawl-slowwar"]
    # The killed one crashed (its worker saw its process die); the new one, taken by a
    # live worker, completed.
    assert runs[0].state.is_crashed() and runs[1].state.is_completed(), runs
    expected = {web.url("slowwar", a["path"]) for a in TRUTH["articles"] if a["site"] == "spacewar"}
    check_consistent((db, "memory"), expected)


def test_a_crawl_no_worker_takes_is_cancelled_and_fails_the_source(
    prefect_api_url: str,
    demo_web: DemoWeb,
    start_worker: Callable[..., tuple[subprocess.Popen[bytes], Path]],
    tmp_path: Path,
) -> None:
    """A pool whose only worker is busy with the night: its crawls wait, then fail.

    A night must end: a crawl that no worker takes within ``source_timeout`` is
    cancelled, and counts as a failed crawl (here the only source, so the night
    fails and says why).
    """
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f"""
[crawl]
source_timeout = 4
source_retries = 0

[[sources]]
name = "spacewar"
feeds = ["{demo_web.url("spacewar", "/rss.xml")}"]
""",
        encoding="utf-8",
    )
    pool = f"wiredupe-test-{uuid.uuid4().hex[:8]}"
    run_wiredupe(
        "schedule", "--sources", str(sources), "--pool", pool,
        "--db", f"sqlite:///{tmp_path / 'night.db'}",
        cwd=tmp_path,
        env=_env(prefect_api_url, tmp_path / "prefect-home",
                 WIREDUPE_ARCHIVE_DIR=str(tmp_path / "shared")),
    )  # fmt: skip
    (tmp_path / "nights").mkdir()
    start_worker(
        pool, "nights", 1, _env(prefect_api_url, tmp_path / "nights" / "home"), tmp_path / "nights"
    )
    _wait_for_workers(pool, {"nights"})
    night = _run_deployment_and_wait("wiredupe-night/nightly", timeout=180)
    assert night.state.is_failed(), night.state
    assert "was not taken by any worker within 4 s; cancelled" in (night.state.message or "")
    (crawl,) = _crawl_runs(night.id)
    assert crawl.state.is_cancelled(), crawl.state
