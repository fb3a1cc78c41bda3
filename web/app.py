"""The read-only FastAPI app: a JSON API and server-rendered pages over story groups."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BeforeValidator
from sqlalchemy.orm import Session

import storage

__all__ = ["create_app"]

_TEMPLATES = Path(__file__).with_name("templates")


def _session(request: Request) -> Iterator[Session]:
    """One session per request, from the app's session factory."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


# Groups per page of the list.
PAGE = 50


def _page_link(query: dict[str, str], offset: int) -> str:
    """The list page's URL with the same filters, at ``offset``."""
    return "/?" + urlencode({**query, **({"offset": offset} if offset > 0 else {})})


def _spread(articles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each copy in publication order, with how long after the first one it appeared."""
    dated = [a for a in articles if a.get("published")]
    if not dated:
        return []
    times = [datetime.fromisoformat(a["published"]) for a in dated]
    first = min(times)
    rows = sorted(zip(times, dated, strict=True), key=lambda pair: pair[0])
    return [{"article": a, "after": _after(t - first)} for t, a in rows]


def _after(delta: timedelta) -> str:
    """``+2 h 05 min``, ``+3 d 4 h``, or ``first``."""
    minutes = int(delta.total_seconds() // 60)
    if minutes <= 0:
        return "first" if delta.total_seconds() == 0 else "+0 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"+{days} d {hours} h"
    return f"+{hours} h {mins:02d} min" if hours else f"+{mins} min"


def _safe_url(url: object) -> str:
    """A scraped URL as a link target: http(s) only, anything else (``javascript:``) is ``#``."""
    text = str(url or "")
    return text if urlsplit(text).scheme.lower() in ("http", "https") else "#"


def _utc(when: datetime | None) -> datetime | None:
    """A time from a query string; one without a zone is UTC."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _blank_is_none(value: object) -> object:
    """A form's blank input is no filter (not an invalid time)."""
    return value or None


def _end_of_day(value: object) -> object:
    """``until`` a bare date (``2025-11-22``) means until that day's end, not its start."""
    value = _blank_is_none(value)
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        return datetime.fromisoformat(value.strip()) + timedelta(days=1, microseconds=-1)
    return value


def _group_filters(
    since: Annotated[datetime | None, BeforeValidator(_blank_is_none)] = None,
    until: Annotated[datetime | None, BeforeValidator(_end_of_day)] = None,
    # A blank minimum size is the least one, 1.
    min_size: Annotated[int, BeforeValidator(lambda v: v or 1), Query(ge=1)] = 1,
    search: Annotated[str | None, Query(max_length=200)] = None,
    source: Annotated[str | None, Query(max_length=storage.SOURCE_LENGTH)] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """The filters of :func:`storage.list_groups` from a query string, for the API and the list.

    A time without a zone is UTC; an empty field (a form's blank input) is no filter;
    ``until`` a date is until the end of that day.
    """
    return {
        "since": _utc(since),
        "until": _utc(until),
        "min_size": min_size,
        "search": search or None,
        "source": source or None,
        "agency": agency or None,
    }


GroupFilters = Annotated[dict[str, Any], Depends(_group_filters)]


def _sources(session: Session, runs: int) -> list[dict[str, Any]]:
    """Each source, by name, with its figures of its last ``runs`` nightly runs."""
    stats = storage.source_stats(session, per_source=runs)
    return [{"source": name, "runs": stats[name]} for name in sorted(stats)]


def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    """An unknown group or article is a 404 on every route, with the storage error's message."""
    return JSONResponse(status_code=404, content={"detail": str(exc)})


def create_app(db_url: str) -> FastAPI:
    """Build the app over the database at ``db_url`` (already migrated).

    Raises:
        storage.DatabaseUnavailable: the database cannot be reached.
    """
    engine = storage.make_engine(db_url)
    sessions = storage.make_session_factory(engine)
    # Jinja2Templates autoescapes .html templates: scraped titles render as text.
    templates = Jinja2Templates(directory=str(_TEMPLATES))
    templates.env.filters["safe_url"] = _safe_url

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="wiredupe",
        description="Story groups of syndicated news copies (read-only).",
        version="0.1.0",
    )
    app.state.sessions = sessions

    for unknown in (storage.UnknownGroup, storage.UnknownArticle):
        app.add_exception_handler(unknown, _not_found)

    @app.get("/api/groups")
    def api_groups(
        s: SessionDep,
        filters: GroupFilters,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Story groups, largest and newest first; a time without a zone is UTC."""
        items = storage.list_groups(s, **filters, limit=limit, offset=offset)
        return {"items": items, "limit": limit, "offset": offset}

    @app.get("/api/articles")
    def api_article(
        s: SessionDep, url: Annotated[str, Query(min_length=1, max_length=4096)]
    ) -> dict[str, Any]:
        """The stored article at ``url`` (canonical, fetched or first asked-for), with text."""
        return storage.find_article(s, url)

    @app.get("/api/search")
    def api_search(
        s: SessionDep,
        q: Annotated[str, Query(min_length=1, max_length=200)],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Articles whose title or text match ``q`` (words, "phrases", prefix*), newest first."""
        items = storage.search_articles(s, q, limit=limit, offset=offset)
        return {"items": items, "limit": limit, "offset": offset}

    @app.get("/api/sources")
    def api_sources(s: SessionDep, runs: Annotated[int, Query(ge=1, le=30)] = 7) -> dict[str, Any]:
        """Each source's figures of its last ``runs`` nightly runs, newest first, and health."""
        return {"items": _sources(s, runs)}

    @app.get("/api/runs")
    def api_runs(
        s: SessionDep,
        limit: Annotated[int, Query(ge=1, le=200)] = 20,
        kind: Annotated[str | None, Query(pattern="^(run|ingest)$")] = None,
    ) -> dict[str, Any]:
        """The latest runs, newest first: kind, status, times and statistics."""
        return {"items": storage.list_runs(s, limit, kind=kind)}

    @app.get("/api/groups/{group_id}")
    def api_group(s: SessionDep, group_id: int) -> dict[str, Any]:
        """One story group with its articles."""
        return storage.get_group(s, group_id)

    @app.get("/", response_class=HTMLResponse)
    def page_groups(
        request: Request,
        s: SessionDep,
        filters: GroupFilters,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> HTMLResponse:
        """The story-group list, with search, filters and pages of ``PAGE`` groups."""
        # One more than a page: whether there is a next page.
        items = storage.list_groups(s, **filters, limit=PAGE + 1, offset=offset)
        # The links to other pages keep the filters as the reader typed them.
        query = {k: v for k, v in request.query_params.items() if k != "offset" and v}
        return templates.TemplateResponse(
            request,
            "groups.html",
            {
                "groups": items[:PAGE],
                "filters": query,
                "previous": _page_link(query, offset - PAGE) if offset else None,
                "next": _page_link(query, offset + PAGE) if len(items) > PAGE else None,
            },
        )

    @app.get("/groups/{group_id}", response_class=HTMLResponse)
    def page_group(request: Request, s: SessionDep, group_id: int) -> HTMLResponse:
        """One story group: origin, agency, each copy and what it changed, and its spread."""
        record = storage.get_group(s, group_id)
        return templates.TemplateResponse(
            request, "group.html", {"group": record, "spread": _spread(record["articles"])}
        )

    @app.get("/sources", response_class=HTMLResponse)
    def page_sources(request: Request, s: SessionDep) -> HTMLResponse:
        """Each source's last nightly runs: figures and health."""
        return templates.TemplateResponse(request, "sources.html", {"sources": _sources(s, 7)})

    return app
