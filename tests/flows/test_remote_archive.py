"""A night whose archive is on S3: the crawls put their files there, extraction reads them.

The archive is ``s3://…`` on a local S3 server (moto's, on 127.0.0.1), reached
through fsspec's S3 file system (s3fs) by every process of the night: the flow,
each crawl's task, and the Dask workers that extract. Nothing of the archive is
left on the local disk, and a second night reads its seen URLs from there too.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage
from demo.server import DemoWeb, serve_web
from flows.stages import open_store
from tests.conftest import child_env, run_wiredupe

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TRUTH = json.loads((ROOT / "demo" / "truth.json").read_text(encoding="utf-8"))
BUCKET = "wiredupe-archive"
SITES = ("spacewar", "southerncross", "highveld")


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A local S3 server (moto) with the archive's bucket; its endpoint URL."""
    import s3fs
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    fs = s3fs.S3FileSystem(key="testing", secret="testing", endpoint_url=endpoint)
    fs.mkdir(BUCKET)
    yield endpoint
    s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


@pytest.fixture(scope="module")
def web() -> Iterator[DemoWeb]:
    with serve_web() as running:
        yield running


def _night(sources: Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    only = [arg for site in SITES for arg in ("--source", site)]
    return run_wiredupe("run", "--sources", str(sources), *only, cwd=cwd, env=env)


def test_a_night_with_its_archive_on_s3(
    s3_endpoint: str, web: DemoWeb, prefect_api_url: str, tmp_path: Path
) -> None:
    import s3fs

    sources = tmp_path / "sources.toml"
    demo = web.substitute((ROOT / "demo" / "sources.toml").read_text(encoding="utf-8"))
    sources.write_text(
        f'[archive]\ndir = "s3://{BUCKET}/nights"\nhttp_cache = "{tmp_path / "cache"}"\n\n'
        f"[crawl]\ndelay = 0\n\n[extract]\nworkers = 2\nbatch_pages = 4\n\n{demo}",
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'night.db'}"
    env = child_env(
        WIREDUPE_DATABASE_URL=db,
        PREFECT_API_URL=prefect_api_url,
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        # What every process of the night needs to reach the bucket: botocore's own
        # variables, so that a bare s3:// URL works wherever it is opened.
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_ENDPOINT_URL=s3_endpoint,
        AWS_EC2_METADATA_DISABLED="true",
    )
    work = tmp_path / "work"
    work.mkdir()
    first = _night(sources, work, env)
    assert "new articles stored" in first.stdout

    fs = s3fs.S3FileSystem(key="testing", secret="testing", endpoint_url=s3_endpoint)
    (run_dir,) = fs.ls(f"{BUCKET}/nights/runs")
    files = {path.rsplit("/", 1)[1] for path in fs.find(run_dir)}
    for site in SITES:
        for suffix in (".warc.gz", ".fetchlog.jsonl", ".stats.json", ".crawl.log", ".txt"):
            assert f"{site}{suffix}" in files, f"{site}{suffix} not in the archive: {files}"
    assert "sources.toml" in files
    assert not any(work.rglob("*.warc.gz")), "the archive is in the bucket, not on this disk"

    with open_store(db) as sessions, sessions() as session:
        stored = {r["url"]: r for r in storage.export_articles(session, with_text=False)}
    expected = {web.url(a["site"], a["path"]) for a in TRUTH["articles"] if a["site"] in SITES}
    assert set(stored) == expected, "every article of the three sites, stored once"
    seeds = {a["seed"]: web.url(a["site"], a["path"]) for a in TRUTH["articles"] if a.get("seed")}
    assert stored[seeds["004"]]["group_id"] == stored[seeds["000"]]["group_id"]
    assert stored[seeds["001"]]["group_id"] != stored[seeds["004"]]["group_id"]

    # The next night reads its seen URLs from the bucket: nothing is fetched again.
    second = _night(sources, work, env)
    assert "0 new articles stored, 0 already stored" in second.stdout
    assert len(fs.ls(f"{BUCKET}/nights/runs", refresh=True)) == 2
