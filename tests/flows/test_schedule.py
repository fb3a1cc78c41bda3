"""What the runs on a work pool are given: the same settings on every machine, no password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flows.config import load_settings
from flows.errors import ConfigError
from flows.schedule import run_environment
from storage import absolute_url, url_password


def test_relative_paths_become_absolute_for_runs_that_start_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        None,
        environ={
            "WIREDUPE_DATABASE_URL": "sqlite:///night.db",
            "WIREDUPE_ARCHIVE_HTTP_CACHE": "cache",
            "WIREDUPE_EXTRACT_DASK": "tcp://10.0.0.5:8786",
            "WIREDUPE_INDEX_URL": "redis://10.0.0.6:6379/0",
        },
    )
    assert run_environment(settings) == {
        "WIREDUPE_DATABASE_URL": f"sqlite:///{tmp_path / 'night.db'}",
        "WIREDUPE_ARCHIVE_DIR": str(tmp_path / "wiredupe-data"),
        "WIREDUPE_ARCHIVE_HTTP_CACHE": str(tmp_path / "cache"),
        "WIREDUPE_EXTRACT_DASK": "tcp://10.0.0.5:8786",
        "WIREDUPE_INDEX_URL": "redis://10.0.0.6:6379/0",
    }
    remote = load_settings(None, environ={"WIREDUPE_ARCHIVE_DIR": "memory://bucket/wd"})
    env = run_environment(remote)
    assert env["WIREDUPE_ARCHIVE_DIR"] == "memory://bucket/wd"
    assert "WIREDUPE_INDEX_URL" not in env, "the memory index is the default everywhere"
    assert os.path.isabs(env["WIREDUPE_DATABASE_URL"].removeprefix("sqlite:///"))


def test_a_password_never_goes_into_a_deployment() -> None:
    with pytest.raises(ConfigError, match="PGPASSWORD"):
        run_environment(
            load_settings(None, environ={"WIREDUPE_DATABASE_URL": "postgresql://u:pw@db/wd"})
        )
    with pytest.raises(ConfigError, match="WIREDUPE_INDEX_URL in each worker"):
        run_environment(load_settings(None, environ={"WIREDUPE_INDEX_URL": "redis://:pw@r:6379/0"}))
    ok = load_settings(None, environ={"WIREDUPE_DATABASE_URL": "postgresql://u@db/wd"})
    assert run_environment(ok)["WIREDUPE_DATABASE_URL"] == "postgresql://u@db/wd"


def test_database_url_helpers() -> None:
    assert absolute_url("postgresql://u@db/wd") == "postgresql://u@db/wd"
    assert absolute_url("sqlite:///:memory:") == "sqlite:///:memory:"
    assert absolute_url("sqlite:////srv/wd.db") == "sqlite:////srv/wd.db"
    assert url_password("postgresql://u:s3cret@db/wd") == "s3cret"
    assert url_password("postgresql://u@db/wd") is None
