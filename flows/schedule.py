"""``wiredupe schedule``: the nightly deployment, served here or registered on a work pool.

Served (the default), this process runs each night itself. On a work pool
(``--pool NAME``), two deployments are registered and this process ends: the
night (``wiredupe-night/nightly``, on the schedule) and one source's crawl
(``wiredupe-crawl/crawl``, started by the night for each source), so that any
number of ``prefect worker start --pool NAME`` processes, on any machines,
share the nights. Their runs find wiredupe by module (it is installed where the
workers run), read the configuration from the sources file and from the
environment this command resolved (the database, the index, the archive and the
Dask scheduler), and write the archive where every worker can read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from flows.config import Settings
from flows.errors import ConfigError

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = ["CRAWL_DEPLOYMENT_NAME", "DEPLOYMENT_NAME", "deploy_nightly", "serve_nightly"]

DEPLOYMENT_NAME = "nightly"
CRAWL_DEPLOYMENT_NAME = "crawl"


def _api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def _require_server() -> None:
    if not _api_url():
        raise ConfigError(
            "environment",
            "PREFECT_API_URL",
            "the schedule needs a running Prefect server: start one with "
            "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api",
        )


def _cron(settings: Settings) -> Any:
    from prefect.schedules import Cron

    try:
        return Cron(settings.schedule.cron, timezone=settings.schedule.timezone)
    except ValueError as exc:
        raise ConfigError("schedule", "cron/timezone", str(exc)) from None


def _one_night_at_a_time() -> Any:
    """A deployment concurrency limit of one that makes a late night wait, not skip.

    A run still going when the next is due makes that one wait (no night is
    skipped: articles drop off feeds, and a skipped night would miss them).
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def _sources_file(settings: Settings) -> str:
    if settings.sources_file is None:
        raise ConfigError("command line", "--sources", "the nightly deployment needs a file")
    return str(settings.sources_file.resolve())


def serve_nightly(settings: Settings) -> None:
    """Register the nightly deployment and run its scheduled flow runs until stopped.

    Raises:
        ConfigError: no Prefect server is configured (a temporary server cannot
            hold a schedule), or the cron expression or time zone is invalid.
    """
    _require_server()
    from flows.pipeline import night

    cron = _cron(settings)
    # The database URL reaches the runs through WIREDUPE_DATABASE_URL (set by the
    # CLI), never as a parameter, which the Prefect UI would show.
    night.serve(
        name=DEPLOYMENT_NAME,
        schedules=[cron],
        parameters={"sources_file": _sources_file(settings)},
        # Stopping the server process leaves the schedule on: it serves again when restarted.
        pause_on_shutdown=False,
        # One night at a time, across every process serving the deployment.
        global_limit=_one_night_at_a_time(),
        limit=1,
    )


def deploy_nightly(settings: Settings, pool: str) -> dict[str, str]:
    """Register the night and the crawl deployments on the work pool ``pool``.

    The pool is created (of type ``process``) when it does not exist. The
    runs' environment (``WIREDUPE_DATABASE_URL``, ``WIREDUPE_INDEX_URL``,
    ``WIREDUPE_ARCHIVE_DIR``, ``WIREDUPE_EXTRACT_DASK``) is set from ``settings``
    with relative paths made absolute; it shows in the Prefect UI, so a URL with
    a password is refused: give the password to the workers instead (``PGPASSWORD``
    or ``~/.pgpass`` for PostgreSQL).

    Returns:
        The environment given to the runs.

    Raises:
        ConfigError: no Prefect server is configured, the cron expression or time
            zone is invalid, or a URL holds a password.
    """
    env = run_environment(settings)
    _require_server()
    from prefect.deployments.runner import EntrypointType

    from flows.crawling import crawl_flow
    from flows.pipeline import night

    cron = _cron(settings)
    _ensure_pool(pool)
    # By module, not by file: a worker imports wiredupe as installed where it runs,
    # and Prefect copies no folder into the flow run's.
    common: dict[str, Any] = {
        "work_pool_name": pool,
        "job_variables": {"env": env},
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    nightly = night.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[cron],
        parameters={
            "sources_file": _sources_file(settings),
            "crawl_deployment": f"{crawl_flow.name}/{CRAWL_DEPLOYMENT_NAME}",
        },
        concurrency_limit=_one_night_at_a_time(),
        **common,
    )
    crawls = crawl_flow.to_deployment(name=CRAWL_DEPLOYMENT_NAME, **common)
    # Called from sync code, to_deployment returns the deployment (not a coroutine).
    for deployment in (cast("RunnerDeployment", crawls), cast("RunnerDeployment", nightly)):
        deployment.apply()
    return env


def run_environment(settings: Settings) -> dict[str, str]:
    """The ``WIREDUPE_*`` variables that every run on a pool gets, whatever machine it is on.

    Raises:
        ConfigError: a URL holds a password (the Prefect UI shows these variables).
    """
    from flows.archive import absolute
    from storage import absolute_url, url_password

    env = {
        "WIREDUPE_DATABASE_URL": absolute_url(settings.database.url),
        "WIREDUPE_ARCHIVE_DIR": absolute(settings.archive.dir),
    }
    if url_password(settings.database.url):
        raise ConfigError(
            "database",
            "url",
            "holds a password, which the Prefect UI would show in the deployment; "
            "give it to the workers instead (PGPASSWORD or ~/.pgpass)",
        )
    if settings.index.url != "memory":
        if urlsplit(settings.index.url).password:
            raise ConfigError(
                "index",
                "url",
                "holds a password, which the Prefect UI would show in the deployment; "
                "set WIREDUPE_INDEX_URL in each worker's environment instead",
            )
        env["WIREDUPE_INDEX_URL"] = settings.index.url
    if settings.archive.http_cache:
        env["WIREDUPE_ARCHIVE_HTTP_CACHE"] = str(Path(settings.archive.http_cache).resolve())
    if settings.extract.dask:
        env["WIREDUPE_EXTRACT_DASK"] = settings.extract.dask
    return env


def _ensure_pool(pool: str) -> None:
    """Create the work pool ``pool`` (type ``process``) unless it exists."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
