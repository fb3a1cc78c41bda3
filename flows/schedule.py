"""``wiredupe schedule``: serve the nightly deployment on a Prefect server."""

from __future__ import annotations

from flows.config import Settings
from flows.errors import ConfigError

__all__ = ["DEPLOYMENT_NAME", "serve_nightly"]

DEPLOYMENT_NAME = "nightly"


def _api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def serve_nightly(settings: Settings) -> None:
    """Register the nightly deployment and run its scheduled flow runs until stopped.

    Raises:
        ConfigError: no Prefect server is configured (a temporary server cannot
            hold a schedule), or the cron expression or time zone is invalid.
    """
    if not _api_url():
        raise ConfigError(
            "environment",
            "PREFECT_API_URL",
            "the schedule needs a running Prefect server: start one with "
            "`prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api",
        )
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron

    from flows.pipeline import night_flow

    try:
        cron = Cron(settings.schedule.cron, timezone=settings.schedule.timezone)
    except ValueError as exc:
        raise ConfigError("schedule", "cron/timezone", str(exc)) from None
    if settings.sources_file is None:
        raise ConfigError("command line", "--sources", "the nightly deployment needs a file")
    # The database URL reaches the runs through WIREDUPE_DATABASE_URL (set by the
    # CLI), never as a parameter, which the Prefect UI would show.
    night_flow(settings).serve(
        name=DEPLOYMENT_NAME,
        schedules=[cron],
        parameters={"sources_file": str(settings.sources_file.resolve())},
        # Stopping the server process leaves the schedule on: it serves again when restarted.
        pause_on_shutdown=False,
        # One night at a time, across every process serving the deployment: a run
        # still going when the next is due makes that one wait (no night is skipped:
        # articles drop off feeds, and a skipped night would miss them).
        global_limit=ConcurrencyLimitConfig(
            limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
        ),
        limit=1,
    )
