"""A run's folder on the local disk or behind an fsspec URL: the same files either way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from flows.archive import (
    absolute,
    crawl_file,
    exists,
    is_remote,
    join,
    local_copy,
    local_path,
    publish,
    read_text,
    run_location,
    staging,
)
from flows.errors import ConfigError


@pytest.fixture
def bucket() -> Iterator[str]:
    """A folder on fsspec's in-memory file system: an archive that is not the local disk."""
    yield "memory://wiredupe-archive-test"
    fsspec.filesystem("memory").rm("/wiredupe-archive-test", recursive=True)


def test_locations_join_like_their_kind(tmp_path: Path) -> None:
    assert run_location("s3://bucket/wd/", 12) == "s3://bucket/wd/runs/000012"
    assert run_location(str(tmp_path), 12) == str(tmp_path / "runs" / "000012")
    assert crawl_file("s3://b/runs/000001", "spacewar", "warc") == (
        "s3://b/runs/000001/spacewar.warc.gz"
    )
    assert crawl_file("s3://b/r", "x", "fetch_log").endswith("/x.fetchlog.jsonl")
    assert crawl_file(str(tmp_path), "x", "stats") == str(tmp_path / "x.stats.json")
    assert join("gs://b", "a", "b.txt") == "gs://b/a/b.txt"
    assert not is_remote(str(tmp_path)) and not is_remote(tmp_path.as_uri())
    assert is_remote("memory://b/x")
    with pytest.raises(ConfigError, match=r"archive: dir: cannot open 'nosuch://b'"):
        is_remote("nosuch://b")


def test_a_local_run_folder_is_used_where_it_is(tmp_path: Path) -> None:
    run_dir = str(tmp_path / "runs" / "000001")
    with staging(run_dir) as local:
        assert local == Path(run_dir) and local.is_dir()
        (local / "a.txt").write_text("one")
        publish(local / "a.txt", join(run_dir, "a.txt"))  # nothing to copy
    with local_copy(join(run_dir, "a.txt")) as copy:
        assert copy == Path(run_dir) / "a.txt"
    with local_copy(join(run_dir, "missing.txt")) as copy:
        assert copy is None
    (tmp_path / "x.txt").write_text("https://a.example/1\n")
    publish(tmp_path / "x.txt", join(run_dir, "seen", "x.txt"))  # copied, its folder made
    assert read_text(join(run_dir, "seen", "x.txt")) == "https://a.example/1\n"
    assert read_text(join(run_dir, "nothing.txt")) is None
    assert local_path(Path(run_dir).as_uri()) == Path(run_dir)
    assert absolute("s3://b/wd") == "s3://b/wd"
    assert absolute(Path(run_dir).as_uri()) == run_dir


def test_a_remote_run_folder_is_staged_and_published(bucket: str, tmp_path: Path) -> None:
    run_dir = run_location(bucket, 7)
    with staging(run_dir) as local:
        assert local.is_dir() and bucket not in str(local)
        (local / "x.warc.gz").write_bytes(b"WARC bytes")
        publish(local / "x.warc.gz", crawl_file(run_dir, "x", "warc"))
    assert not local.exists(), "the staging folder is removed"
    assert exists(crawl_file(run_dir, "x", "warc"))
    with local_copy(crawl_file(run_dir, "x", "warc")) as copy:
        assert copy is not None and copy.read_bytes() == b"WARC bytes"
    assert copy is not None and not copy.exists(), "a temporary copy is removed"
    folder = tmp_path / "kept"
    folder.mkdir()
    with local_copy(crawl_file(run_dir, "x", "warc"), folder) as copy:
        assert copy == folder / "x.warc.gz"
    assert (folder / "x.warc.gz").read_bytes() == b"WARC bytes"
    with local_copy(join(run_dir, "missing"), folder) as copy:
        assert copy is None
    (folder / "sources.toml").write_text("[crawl]\n")
    publish(folder / "sources.toml", join(run_dir, "sources.toml"))
    assert read_text(join(run_dir, "sources.toml")) == "[crawl]\n"
    with pytest.raises(ConfigError, match="not on this machine's disk"):
        local_path(run_dir)
