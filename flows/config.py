"""The one configuration object: ``sources.toml``, then ``WIREDUPE_*``, then flags.

Each layer overrides the one before. ``sources.toml`` holds the ``[[sources]]``
(validated by :mod:`crawler.sources`) and optional tables::

    [database]
    url = "sqlite:///wiredupe.db"

    [archive]
    dir = "wiredupe-data"        # WARC archives and per-run files; a shared folder or an
                                 # fsspec URL (s3://bucket/wiredupe) past one machine
    http_cache = ""              # feeds and sitemaps kept between nights; "": <dir>/http-cache,
                                 # or each machine's ~/.cache/wiredupe when dir is a URL

    [crawl]
    contact = "mailto:data-team@example.org"   # goes into the user agent
    delay = 1.0                  # seconds between requests to one site (AutoThrottle start)
    concurrency_per_domain = 2
    timeout = 30
    retries = 2                  # after a 5xx or a timeout, with growing pauses
    max_page_mb = 10             # larger responses are cancelled
    parallel_sources = 2         # crawls (child processes) at once
    source_timeout = 3600        # seconds a source's crawl may take before it is stopped
    source_retries = 2           # a failed crawl of a source is run again this many times,
    source_retry_delay = 60      # after 60 s, then 120 s, ...
    seen_days = 90               # a URL stored or rejected this recently is not fetched again
    lastmod_days = 7             # plain sitemap entries modified longer ago are skipped

    [extract]
    workers = 0                  # extraction processes; 0 = one per core
    dask = ""                    # a Dask scheduler (tcp://HOST:8786); "" = a local cluster
    batch_pages = 64             # pages per extraction task

    [dedupe]
    window_days = 30             # see dedupe.DedupeConfig for every field

    [index]
    url = "memory"               # or redis://host:6379/0: the LSH index kept between nights

    [schedule]
    cron = "0 2 * * *"
    timezone = "UTC"

Every field ``F`` of table ``T`` can also be set by the environment variable
``WIREDUPE_<T>_<F>`` (for example ``WIREDUPE_DATABASE_URL``,
``WIREDUPE_CRAWL_DELAY``, ``WIREDUPE_DEDUPE_WINDOW_DAYS``).
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

from crawler.sources import Source, parse_sources
from dedupe import DedupeConfig, DedupeConfigError
from flows.errors import ConfigError
from storage import DEFAULT_URL

__all__ = [
    "ArchiveSettings",
    "CrawlSettings",
    "DatabaseSettings",
    "ExtractSettings",
    "ScheduleSettings",
    "Settings",
    "load_settings",
]


@dataclass(frozen=True, kw_only=True)
class DatabaseSettings:
    """Where articles and groups are stored."""

    # SQLite in the current folder: nothing to install; PostgreSQL through the URL.
    url: str = DEFAULT_URL


@dataclass(frozen=True, kw_only=True)
class ArchiveSettings:
    """Where raw responses (WARC) and per-run files go."""

    # Beside the database by default, so one folder holds a deployment's data. Past
    # one machine: a folder every worker mounts, or an fsspec URL (s3://bucket/prefix).
    dir: str = "wiredupe-data"
    # Where a crawling machine keeps the feeds and sitemaps it fetched, to ask for
    # them conditionally the next night. "": <dir>/http-cache for an archive on this
    # disk or a shared one, ~/.cache/wiredupe/http-cache (each machine's own home)
    # when the archive is a URL.
    http_cache: str = ""

    def __post_init__(self) -> None:
        if "://" in self.dir:
            import fsspec

            try:
                fsspec.core.url_to_fs(self.dir)
            except (ImportError, ValueError) as exc:
                raise InvalidSetting("dir", f"cannot open {self.dir!r}: {exc}") from None
        if "://" in self.http_cache:
            raise InvalidSetting(
                "http_cache", f"must be a local folder (Scrapy's cache), got {self.http_cache!r}"
            )

    @property
    def http_cache_dir(self) -> Path:
        """The folder of the HTTP cache: one sub-folder per source.

        For a URL archive it starts with ``~``, expanded where the crawl runs.
        """
        from flows.archive import is_remote, local_path

        if self.http_cache:
            return Path(self.http_cache)
        if is_remote(self.dir):
            return Path("~") / ".cache" / "wiredupe" / "http-cache"
        return local_path(self.dir) / "http-cache"


class InvalidSetting(ValueError):
    """A settings table's value is out of range (turned into a ConfigError by the loader)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _at_least(obj: object, minimum: float, *names: str) -> None:
    for name in names:
        if getattr(obj, name) < minimum:
            raise InvalidSetting(name, f"must be at least {minimum}, got {getattr(obj, name)!r}")


_MAX_SOURCE_RETRIES = 50


@dataclass(frozen=True, kw_only=True)
class CrawlSettings:
    """Politeness, limits and parallelism of the crawl."""

    # Honest and reachable: a site owner must be able to tell who crawls them and
    # write to them. Put the team's address here; it goes into the user agent.
    contact: str = "https://github.com/wiredupe/wiredupe"
    # One request a second per site to start with; AutoThrottle adapts from there,
    # and a robots.txt Crawl-delay, when larger, wins.
    delay: float = 1.0
    # Two requests at once per site: fast enough for a night, light for a site.
    concurrency_per_domain: int = 2
    # Seconds before a request is given up (then retried).
    timeout: float = 30.0
    # Retries after a 5xx or a timeout, each after a longer pause; then recorded.
    retries: int = 2
    # No article or feed is bigger; a video is. Larger responses are cancelled.
    max_page_mb: float = 10.0
    # Crawls (child processes) at once; one per core is a good start.
    parallel_sources: int = 2
    # A night must end: a source's crawl still going after this many seconds is
    # stopped, and counts as failed (what it archived is still extracted). With
    # its retries, a hung source holds one crawl slot for (source_retries + 1)
    # times this, plus the pauses: about 3 h 3 min with the defaults.
    source_timeout: float = 3600.0
    # A source's crawl that failed (stopped, or its process died) runs again this
    # many times, after source_retry_delay seconds, then twice as long each time:
    # a site down for a few minutes still makes the night.
    source_retries: int = 2
    source_retry_delay: float = 60.0
    # A URL stored or rejected this many days ago is still not fetched again. The
    # seen set is bounded by time so that a night's cost does not grow with the store.
    seen_days: int = 90
    # Plain sitemaps list every article ever: entries modified longer ago are skipped.
    lastmod_days: int = 7

    def __post_init__(self) -> None:
        if "@" not in self.contact and not self.contact.startswith(("http://", "https://")):
            raise InvalidSetting(
                "contact", f"must be a URL or an e-mail address, got {self.contact!r}"
            )
        _at_least(self, 0, "delay", "retries", "source_retries", "source_retry_delay")
        _at_least(self, 0.01, "timeout", "max_page_mb", "source_timeout")
        if self.source_retries > _MAX_SOURCE_RETRIES:  # Prefect's own bound
            raise InvalidSetting(
                "source_retries",
                f"must be at most {_MAX_SOURCE_RETRIES}, got {self.source_retries!r}",
            )
        _at_least(
            self, 1, "concurrency_per_domain", "parallel_sources", "seen_days", "lastmod_days"
        )

    @property
    def user_agent(self) -> str:
        """``wiredupe/<version> (+<contact>)``: robots.txt rules for ``wiredupe`` apply."""
        return f"wiredupe/{version('wiredupe')} (+{self.contact})"


@dataclass(frozen=True, kw_only=True)
class ExtractSettings:
    """How the archived responses are turned into articles."""

    # Extraction processes; 0 means one per core (extraction is CPU-bound). A night's
    # are the workers of its local Dask cluster.
    workers: int = 0
    # A Dask scheduler (tcp://HOST:8786) whose workers extract a night's archives;
    # "" starts a local cluster of `workers` processes for each night.
    dask: str = ""
    # Pages per extraction task: about two seconds of one core's work, so that the
    # cost of a task (a few Prefect API calls) stays small beside it, and a night of
    # a few hundred pages still spreads over several workers.
    batch_pages: int = 64

    def __post_init__(self) -> None:
        _at_least(self, 0, "workers")
        _at_least(self, 1, "batch_pages")
        if self.dask and "://" not in self.dask:
            raise InvalidSetting(
                "dask",
                f"must be a Dask scheduler address such as tcp://HOST:8786, got {self.dask!r}",
            )


@dataclass(frozen=True, kw_only=True)
class IndexSettings:
    """Where the LSH index of earlier nights' articles lives."""

    # "memory": rebuilt each night from the signatures in the database, nothing to
    # run. A redis:// URL keeps the index between nights (datasketch's Redis
    # storage): a night then reads only its candidates, not the whole window.
    url: str = "memory"

    def __post_init__(self) -> None:
        if self.url != "memory" and not self.url.startswith(("redis://", "rediss://")):
            raise InvalidSetting(
                "url", f'must be "memory" or a redis:// or rediss:// URL, got {self.url!r}'
            )


@dataclass(frozen=True, kw_only=True)
class ScheduleSettings:
    """When the nightly deployment runs."""

    # 02:00: after most evening news is out, before the morning shift reads it.
    cron: str = "0 2 * * *"
    timezone: str = "UTC"


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything a run needs, validated."""

    sources_file: Path | None = None
    sources: tuple[Source, ...] = ()
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    extract: ExtractSettings = field(default_factory=ExtractSettings)
    dedupe: DedupeConfig = field(default_factory=DedupeConfig)
    index: IndexSettings = field(default_factory=IndexSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)

    def scrapy_settings(self) -> dict[str, str]:
        """Return the ``-s KEY=VALUE`` overrides for a crawl child process."""
        c = self.crawl
        return {
            "USER_AGENT": c.user_agent,
            "DOWNLOAD_DELAY": str(c.delay),
            "AUTOTHROTTLE_START_DELAY": str(c.delay),
            "CONCURRENT_REQUESTS_PER_DOMAIN": str(c.concurrency_per_domain),
            "DOWNLOAD_TIMEOUT": str(c.timeout),
            "RETRY_TIMES": str(c.retries),
            "DOWNLOAD_MAXSIZE": str(int(c.max_page_mb * 1024 * 1024)),
            "WIREDUPE_LASTMOD_DAYS": str(c.lastmod_days),
        }


_TABLES: dict[str, type] = {
    "database": DatabaseSettings,
    "archive": ArchiveSettings,
    "crawl": CrawlSettings,
    "extract": ExtractSettings,
    "dedupe": DedupeConfig,
    "index": IndexSettings,
    "schedule": ScheduleSettings,
}


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(sorted(choices))})"


def _coerce(where: str, field: str, value: Any, target: Any, *, from_text: bool) -> Any:
    """Convert ``value`` to the type of the field's default."""
    kind = type(target)
    try:
        if kind is bool:
            if from_text:
                return value.strip().lower() in {"1", "true", "yes", "on"}
            if not isinstance(value, bool):
                raise TypeError
            return value
        if kind is int:
            if isinstance(value, bool) or (not from_text and not isinstance(value, int)):
                raise TypeError
            return int(value)
        if kind is float:
            if isinstance(value, bool) or (not from_text and not isinstance(value, int | float)):
                raise TypeError
            return float(value)
        if not isinstance(value, str):
            raise TypeError
        return value
    except (TypeError, ValueError):
        raise ConfigError(where, field, f"expected {kind.__name__}, got {value!r}") from None


def _apply(obj: Any, table: str, values: Mapping[str, Any], where: str, *, from_text: bool) -> Any:
    """Return ``obj`` with ``values`` applied, each checked against the field's type."""
    names = [f.name for f in fields(obj)]
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in names:
            raise ConfigError(where, f"{table}.{key}", "unknown setting" + _suggest(key, names))
        name = f"{table}.{key}"
        kwargs[key] = _coerce(where, name, value, getattr(obj, key), from_text=from_text)
    try:
        return replace(obj, **kwargs)
    except (DedupeConfigError, InvalidSetting) as exc:
        raise ConfigError(where, f"{table}.{exc.field}", str(exc)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "file", "not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "syntax", str(exc)) from None
    except OSError as exc:
        raise ConfigError(str(path), "file", exc.strerror or str(exc)) from None


def load_settings(
    sources_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    require_sources: bool = False,
) -> Settings:
    """Build the settings: file, then environment, then ``overrides`` (the flags).

    Args:
        sources_file: the ``sources.toml``; ``None`` when a command needs no sources.
        environ: environment variables (``os.environ`` by default).
        overrides: per-table values from command-line flags, e.g.
            ``{"database": {"url": "postgresql://..."}}``; ``None`` values are ignored.
        require_sources: fail when the file defines no source.

    Raises:
        ConfigError: a value is invalid; the message names the file or variable
            and the field.
        crawler.errors.SourcesError: a ``[[sources]]`` entry is invalid.
    """
    env = os.environ if environ is None else environ
    document: dict[str, Any] = {}
    sources: tuple[Source, ...] = ()
    if sources_file is not None:
        document = _read_toml(sources_file)
        unknown = [k for k in document if k != "sources" and k not in _TABLES]
        if unknown:
            choices = [*_TABLES, "sources"]
            raise ConfigError(
                str(sources_file), unknown[0], "unknown table" + _suggest(unknown[0], choices)
            )
        if "sources" in document or require_sources:
            sources = parse_sources(document, origin=str(sources_file))
    built: dict[str, Any] = {}
    for table, cls in _TABLES.items():
        section = document.get(table, {})
        if not isinstance(section, dict):
            raise ConfigError(str(sources_file), table, "must be a table ([" + table + "])")
        obj = _apply(cls(), table, section, str(sources_file), from_text=False)
        env_values = {
            f.name: env[var]
            for f in fields(cls)
            if (var := f"WIREDUPE_{table}_{f.name}".upper()) in env and env[var] != ""
        }
        obj = _apply(obj, table, env_values, "environment (WIREDUPE_*)", from_text=True)
        flags = {k: v for k, v in (overrides or {}).get(table, {}).items() if v is not None}
        obj = _apply(obj, table, flags, "command line", from_text=False)
        built[table] = obj
    return Settings(sources_file=sources_file, sources=sources, **built)
