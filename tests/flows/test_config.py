from __future__ import annotations

from pathlib import Path

import pytest

from crawler.errors import SourcesError
from flows.config import load_settings
from flows.errors import ConfigError

SOURCES = """
[[sources]]
name = "spacewar"
feeds = ["https://www.spacewar.com/rss.xml"]

[crawl]
delay = 2.5

[dedupe]
window_days = 14

[schedule]
timezone = "Europe/Paris"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = _write(tmp_path, SOURCES)
    s = load_settings(path, environ={})
    assert s.sources[0].name == "spacewar"
    assert s.crawl.delay == 2.5 and s.dedupe.window_days == 14
    assert s.schedule.timezone == "Europe/Paris" and s.schedule.cron == "0 2 * * *"
    assert s.database.url == "sqlite:///wiredupe.db"

    env = {"WIREDUPE_DATABASE_URL": "sqlite:///env.db", "WIREDUPE_CRAWL_DELAY": "0.5"}
    s = load_settings(path, environ=env)
    assert s.database.url == "sqlite:///env.db" and s.crawl.delay == 0.5

    s = load_settings(path, environ=env, overrides={"database": {"url": "sqlite:///flag.db"}})
    assert s.database.url == "sqlite:///flag.db" and s.crawl.delay == 0.5
    assert s.scrapy_settings()["DOWNLOAD_DELAY"] == "0.5"


def test_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"toml: crawl\.dealy: unknown setting .*'delay'"):
        load_settings(_write(tmp_path, "[crawl]\ndealy = 1\n"), environ={})
    with pytest.raises(ConfigError, match=r"sources\.toml: crawl\.delay: expected float"):
        load_settings(_write(tmp_path, "[crawl]\ndelay = 'fast'\n"), environ={})
    with pytest.raises(ConfigError, match=r"sources\.toml: crawler: unknown table .*'crawl'"):
        load_settings(_write(tmp_path, "[crawler]\ndelay = 1\n"), environ={})
    with pytest.raises(ConfigError, match=r"sources\.toml: syntax: .*line 1"):
        load_settings(_write(tmp_path, "[[sources]\n"), environ={})
    with pytest.raises(ConfigError, match=r"missing\.toml: file: not found"):
        load_settings(tmp_path / "missing.toml", environ={})
    with pytest.raises(ConfigError, match=r"environment \(WIREDUPE_\*\): dedupe\.window_days"):
        load_settings(None, environ={"WIREDUPE_DEDUPE_WINDOW_DAYS": "a month"})
    with pytest.raises(ConfigError, match=r"dedupe\.num_perm"):
        load_settings(_write(tmp_path, "[dedupe]\nnum_perm = 3\n"), environ={})


def test_source_errors_name_the_source_and_field(tmp_path: Path) -> None:
    bad = '[[sources]]\nname = "x"\nfeeds = ["https://a.example/rss"]\nfeed = []\n'
    with pytest.raises(SourcesError) as info:
        load_settings(_write(tmp_path, bad), environ={})
    message = str(info.value)
    assert "sources.toml" in message and "'x'" in message and "feed" in message


def test_crawl_limits_reach_the_crawler_and_are_checked(tmp_path: Path) -> None:
    text = (
        '[crawl]\ncontact = "mailto:desk@paper.example"\nretries = 4\nmax_page_mb = 2\n'
        "lastmod_days = 3\n"
    )
    s = load_settings(_write(tmp_path, text), environ={})
    scrapy = s.scrapy_settings()
    # robots.txt rules for "wiredupe" must match: the product token comes first.
    assert scrapy["USER_AGENT"].startswith("wiredupe/")
    assert scrapy["USER_AGENT"].endswith("(+mailto:desk@paper.example)")
    assert scrapy["RETRY_TIMES"] == "4"
    assert scrapy["DOWNLOAD_MAXSIZE"] == str(2 * 1024 * 1024)
    assert scrapy["WIREDUPE_LASTMOD_DAYS"] == "3"
    with pytest.raises(ConfigError, match=r"crawl\.contact: must be a URL or an e-mail"):
        load_settings(_write(tmp_path, '[crawl]\ncontact = "the night desk"\n'), environ={})
    with pytest.raises(ConfigError, match=r"environment \(WIREDUPE_\*\): crawl\.seen_days"):
        load_settings(None, environ={"WIREDUPE_CRAWL_SEEN_DAYS": "0"})
    with pytest.raises(ConfigError, match=r"extract\.workers: must be at least 0"):
        load_settings(_write(tmp_path, "[extract]\nworkers = -1\n"), environ={})


def test_scaling_out_settings_are_read_and_checked(tmp_path: Path) -> None:
    s = load_settings(None, environ={})
    assert s.extract.dask == "" and s.extract.batch_pages == 64
    assert s.archive.http_cache_dir == Path.cwd() / "wiredupe-data" / "http-cache"
    text = '[archive]\ndir = "file:///mnt/shared/wd"\n[extract]\nbatch_pages = 16\n'
    s = load_settings(
        _write(tmp_path, text), environ={"WIREDUPE_EXTRACT_DASK": "tcp://10.0.0.5:8786"}
    )
    assert s.extract.dask == "tcp://10.0.0.5:8786" and s.extract.batch_pages == 16
    assert s.archive.http_cache_dir == Path("/mnt/shared/wd/http-cache")
    # An archive elsewhere than this disk: each machine keeps its own HTTP cache, in
    # its own home (expanded where the crawl runs).
    s = load_settings(None, environ={"WIREDUPE_ARCHIVE_DIR": "memory://bucket/wd"})
    assert s.archive.http_cache_dir == Path("~/.cache/wiredupe/http-cache")
    s = load_settings(
        None,
        environ={"WIREDUPE_ARCHIVE_DIR": "memory://b/wd", "WIREDUPE_ARCHIVE_HTTP_CACHE": "/c"},
    )
    assert s.archive.http_cache_dir == Path("/c")
    with pytest.raises(ConfigError, match=r"archive\.dir: cannot open 'nosuch://b/wd'"):
        load_settings(None, environ={"WIREDUPE_ARCHIVE_DIR": "nosuch://b/wd"})
    with pytest.raises(ConfigError, match=r"archive\.http_cache: must be a local folder"):
        load_settings(None, environ={"WIREDUPE_ARCHIVE_HTTP_CACHE": "s3://b/cache"})
    with pytest.raises(ConfigError, match=r"extract\.dask: must be a Dask scheduler address"):
        load_settings(None, environ={"WIREDUPE_EXTRACT_DASK": "10.0.0.5"})
    with pytest.raises(ConfigError, match=r"extract\.batch_pages: must be at least 1"):
        load_settings(_write(tmp_path, "[extract]\nbatch_pages = 0\n"), environ={})
