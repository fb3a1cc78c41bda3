"""The night's extraction, on the workers of an existing Dask scheduler.

A real Dask cluster (a scheduler and a worker process, as ``dask scheduler`` and
``dask worker`` start them, here from the test) and the session's Prefect server:
the subflow cuts each source's archive into batches, extracts them on the
cluster's worker, and stores each source once its batches are done, its
boilerplate learned from all of them. A damaged archive keeps what comes before
the damage and is reported; a source with no archive is no error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

import storage
from flows.extraction import dask_runner, extract_night
from tests.conftest import migrated_sessions
from tests.extract.test_extract_batches import night_records
from tests.extract.test_extract_boilerplate import FOOTER, page, story
from tests.extract.test_extract_warc import record_bytes

pytestmark = pytest.mark.slow


def _quay(n: int) -> bytes:
    return record_bytes(
        f"https://quay.example/news/{n}",
        page(f"Quay story {n}", story(n + 20)),
        wiredupe={"WARC-Wiredupe-Source": "quay", "WARC-Wiredupe-Kind": "article"},
    )


def test_a_night_extracts_on_a_dask_scheduler(prefect_api_url: str, tmp_path: Path) -> None:
    from distributed import LocalCluster
    from prefect.client.orchestration import get_client

    run_dir = tmp_path / "runs" / "000001"
    run_dir.mkdir(parents=True)
    (run_dir / "harbour-news.warc.gz").write_bytes(b"".join(night_records(9)))
    quay = [_quay(n) for n in range(6)]
    (run_dir / "quay.warc.gz").write_bytes(b"".join(quay[:-1]) + quay[-1][: len(quay[-1]) // 2])
    db = f"sqlite:///{tmp_path / 'night.db'}"
    with migrated_sessions(db) as sessions, sessions.begin() as session:
        run_id = storage.start_run(session, "run")

    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    try:
        runner = dask_runner(cluster.scheduler_address)
        state = extract_night.with_options(task_runner=runner)(
            SecretStr(db), str(run_dir), ["harbour-news", "quay", "silent"], run_id, 2,
            return_state=True,
        )  # fmt: skip
        # What the cluster ran (tasks that went through "processing"), by task.
        ran = {
            name: prefix.state_counts["processing"]
            for name, prefix in cluster.scheduler.task_prefixes.items()
        }
    finally:
        cluster.close()
    # Ten pages (nine articles and a 404) in batches of two; five before the damage.
    assert ran == {"plan_archive": 3, "extract_records": 5 + 3, "store_source": 3}, ran
    counts = state.result()

    assert counts["stored"] == {"harbour-news": 9, "quay": 5}
    assert counts["rejected"] == {"harbour-news": 1}, "the 404"
    (damage,) = counts["damaged"]
    assert "quay.warc.gz" in damage and "cut short" in damage
    with migrated_sessions(db) as sessions, sessions() as session:
        stored = list(storage.export_articles(session))
    harbour = [a for a in stored if a["source"] == "harbour-news"]
    assert len(harbour) == 9
    # Five batches of two pages: too few to learn a footer from alone, yet all together did.
    assert all(FOOTER[:40] not in a["text"] and "harbour board" in a["text"] for a in harbour)

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.parameters["db_url"] == "**********", "no database URL shows in the UI"
