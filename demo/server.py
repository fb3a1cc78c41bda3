"""Serve the bundled offline demo web on 127.0.0.1, one port per site.

Each folder under a web root (``demo/sites/`` by default) is one site. Every
site gets its own HTTP server on an ephemeral port of 127.0.0.1, so sites have
distinct origins (host and port) the way real news sites have distinct hosts.

Files are served as stored, except that text files (HTML, XML, TXT) may
contain placeholders that are replaced at serve time, because the ports are
only known then:

- ``__BASE__``: this site's base URL, e.g. ``http://127.0.0.1:41234``;
- ``__SITE_<name>__``: another site's base URL (cross-site links);
- ``__DAYS_AGO_<n>__``: the UTC date ``n`` days before the request
  (``2025-11-21``), so that a sitemap's ``<lastmod>`` stays recent or old.

Files are answered with validators, an ``ETag`` (a hash of the body as served)
and a ``Last-Modified`` (the file's modification time), and a conditional GET
that matches them (``If-None-Match``, else ``If-Modified-Since``) gets
``304 Not Modified`` without a body, the way news CDNs answer feed readers.

Special files in a site folder:

- ``_routes.toml`` (optional): per-path behaviour that a static folder cannot
  express, as ``[[route]]`` tables with ``path`` and any of:

  - ``status``: answer this status (e.g. 404, 410, 500, 503) with a small error page;
  - ``redirect``: answer ``301`` to this path or URL (chains and loops are routes too);
  - ``content_type``: the ``Content-Type`` to send instead of the guessed one;
  - ``delay``: seconds to wait before answering (longer than a client's timeout);
  - ``pad_to``: pad the body at serve time to this many bytes, with an HTML
    comment (a page over a client's size limit without a huge file in the tree);
  - ``headers``: a table of extra headers, replacing any of the same name;
  - ``validators``: ``false`` to send neither ``ETag`` nor ``Last-Modified``
    (and so never ``304``).

:class:`DemoWeb` counts every request it answers (:meth:`DemoWeb.hits`), so that
tests can check what a crawler fetched, how often, how conditionally and when.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import threading
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["DEFAULT_ROOT", "DemoWeb", "Hit", "serve_web"]

DEFAULT_ROOT = Path(__file__).with_name("sites")

# Text files get their placeholders replaced; everything else is sent as bytes.
_TEXT_SUFFIXES = {".html", ".htm", ".xml", ".txt", ".rss", ".atom", ".json"}
_DAYS_AGO = re.compile(rb"__DAYS_AGO_(\d+)__")


@dataclass(frozen=True)
class _Route:
    status: int | None = None
    redirect: str | None = None
    content_type: str | None = None
    delay: float = 0.0
    pad_to: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    validators: bool = True


@dataclass(frozen=True)
class _Answer:
    """What one request gets, decided before any waiting or writing."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""


@dataclass(frozen=True, kw_only=True)
class Hit:
    """One request a site answered.

    Attributes:
        site: the site's name.
        path: the request path, without its query.
        status: the status answered (``304`` for a matching conditional GET).
        conditional: whether the request carried ``If-None-Match`` or ``If-Modified-Since``.
        time: when it arrived, on the ``time.monotonic()`` clock.
    """

    site: str
    path: str
    status: int
    conditional: bool
    time: float


@dataclass
class DemoWeb:
    """A running demo web: site name to base URL, the servers behind it, and their hits."""

    root: Path
    bases: dict[str, str] = field(default_factory=dict)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list, repr=False)
    _hits: list[Hit] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def url(self, site: str, path: str = "/") -> str:
        """Return the absolute URL of ``path`` on ``site``."""
        return self.bases[site] + path

    def substitute(self, text: str) -> str:
        """Replace the ``__SITE_<name>__`` placeholders in ``text`` with base URLs."""
        for name, base in self.bases.items():
            text = text.replace(f"__SITE_{name}__", base)
        return text

    def record(self, hit: Hit) -> None:
        """Count one answered request (called by the request handlers, from their threads)."""
        with self._lock:
            self._hits.append(hit)

    def hits(self, site: str | None = None, path: str | None = None) -> list[Hit]:
        """Return the requests answered so far, oldest first.

        Args:
            site: only this site's requests, when given.
            path: only requests of this path (without query), when given.

        Returns:
            A copy: later requests do not change it.
        """
        with self._lock:
            return [
                hit
                for hit in self._hits
                if (site is None or hit.site == site) and (path is None or hit.path == path)
            ]

    def close(self) -> None:
        """Stop every site's server."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()


def _load_routes(site_dir: Path) -> dict[str, _Route]:
    routes_file = site_dir / "_routes.toml"
    if not routes_file.exists():
        return {}
    data = tomllib.loads(routes_file.read_text(encoding="utf-8"))
    routes: dict[str, _Route] = {}
    for entry in data.get("route", []):
        routes[entry["path"]] = _Route(
            status=entry.get("status"),
            redirect=entry.get("redirect"),
            content_type=entry.get("content_type"),
            delay=float(entry.get("delay", 0.0)),
            pad_to=entry.get("pad_to"),
            headers=dict(entry.get("headers", {})),
            validators=bool(entry.get("validators", True)),
        )
    return routes


def _make_handler(
    site_dir: Path, routes: Mapping[str, _Route], web: DemoWeb, site: str
) -> type[BaseHTTPRequestHandler]:
    # Known once every server is bound, and fixed from then on: worked out once per site.
    site_root = site_dir.resolve()
    base = web.bases[site]
    placeholders = (
        (b"__BASE__", base.encode()),
        *((f"__SITE_{name}__".encode(), url.encode()) for name, url in web.bases.items()),
    )

    def fill(body: bytes) -> bytes:
        # Placeholders are ASCII, so this works on any ASCII-compatible encoding.
        for placeholder, url in placeholders:
            body = body.replace(placeholder, url)
        today = datetime.now(UTC).date()
        return _DAYS_AGO.sub(
            lambda match: (today - timedelta(days=int(match[1]))).isoformat().encode(), body
        )

    class Handler(BaseHTTPRequestHandler):
        server_version = "wiredupe-demo/1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: the crawler's own log says what was fetched."""

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def _respond(self, *, send_body: bool) -> None:
            arrived = time.monotonic()
            path = unquote(urlsplit(self.path).path)
            route = routes.get(path) or _Route()
            conditional = bool(
                self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since")
            )
            answer = self._answer(path, route)
            web.record(
                Hit(
                    site=site,
                    path=path,
                    status=answer.status,
                    conditional=conditional,
                    time=arrived,
                )
            )
            if route.delay:
                time.sleep(route.delay)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                if send_body and answer.body:
                    self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up first (its timeout or size limit): nobody is left to answer.
                self.close_connection = True

        def _answer(self, path: str, route: _Route) -> _Answer:
            if route.redirect:
                target = route.redirect
                if target.startswith("/"):
                    target = base + target
                target = fill(target.encode()).decode()
                return self._with_headers(
                    HTTPStatus.MOVED_PERMANENTLY, b"", [("Location", target)], route
                )
            if route.status and route.status >= 400:
                return self._with_headers(
                    route.status, b"<html><body>error</body></html>", _html(), route
                )
            file = self._resolve(path)
            if file is None:
                return self._with_headers(
                    404, b"<html><body>Not found</body></html>", _html(), route
                )
            body = file.read_bytes()
            if file.suffix in _TEXT_SUFFIXES or file.name == "robots.txt":
                body = fill(body)
            if route.pad_to and len(body) < route.pad_to:
                body = _padded(body, route.pad_to)
            headers = [("Content-Type", route.content_type or _content_type(file))]
            if route.validators:
                etag, last_modified = _validators(body, file)
                validators = [("ETag", etag), ("Last-Modified", last_modified)]
                if self._not_modified(etag, last_modified):
                    return self._with_headers(304, b"", validators, route, length=False)
                headers += validators
            return self._with_headers(200, body, headers, route)

        def _with_headers(
            self,
            status: int,
            body: bytes,
            headers: list[tuple[str, str]],
            route: _Route,
            *,
            length: bool = True,
        ) -> _Answer:
            if length:
                headers = [*headers, ("Content-Length", str(len(body)))]
            overridden = {name.lower() for name in route.headers}
            kept = [(name, value) for name, value in headers if name.lower() not in overridden]
            return _Answer(int(status), (*kept, *route.headers.items()), body)

        def _not_modified(self, etag: str, last_modified: str) -> bool:
            if_none_match = self.headers.get("If-None-Match")
            if if_none_match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
                tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
                return "*" in tags or etag in tags
            if_modified_since = self.headers.get("If-Modified-Since")
            if if_modified_since is None:
                return False
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return False  # an unreadable date is ignored, as RFC 9110 says
            return parsedate_to_datetime(last_modified) <= since

        def _resolve(self, path: str) -> Path | None:
            candidate = (site_root / path.lstrip("/")).resolve()
            if not candidate.is_relative_to(site_root):
                return None
            if candidate.is_dir():
                candidate = candidate / "index.html"
            if candidate.name.startswith("_") or not candidate.is_file():
                return None
            return candidate

    return Handler


def _html() -> list[tuple[str, str]]:
    return [("Content-Type", "text/html")]


def _padded(body: bytes, size: int) -> bytes:
    """Return ``body`` followed by an HTML comment that brings it to ``size`` bytes."""
    opening, closing = b"\n<!-- ", b" -->\n"
    filler = max(0, size - len(body) - len(opening) - len(closing))
    return body + opening + b"x" * filler + closing


def _validators(body: bytes, file: Path) -> tuple[str, str]:
    """Return the ``ETag`` (of the body as served) and ``Last-Modified`` (of the file).

    Computed per request: the body as served depends on the day (``__DAYS_AGO_<n>__``).
    """
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    return etag, formatdate(file.stat().st_mtime, usegmt=True)


def _content_type(file: Path) -> str:
    if file.name == "robots.txt":
        return "text/plain; charset=utf-8"
    if file.suffix in {".xml", ".rss", ".atom"}:
        return "application/xml; charset=utf-8"
    guessed, _ = mimetypes.guess_type(file.name)
    if guessed in {"text/html", "text/plain"}:
        # No charset when the page declares its own in <meta>: a real server often omits it.
        return guessed
    return guessed or "application/octet-stream"


@contextmanager
def serve_web(root: Path = DEFAULT_ROOT, host: str = "127.0.0.1") -> Iterator[DemoWeb]:
    """Serve every site folder under ``root``, each on its own port of ``host``.

    Args:
        root: folder holding one sub-folder per site.
        host: address to bind; loopback by default, the demo never leaves the machine.

    Yields:
        The running :class:`DemoWeb`; its servers stop when the context exits.
    """
    web = DemoWeb(root=root)
    sites = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    try:
        # Bind every server first, so that every port is known before any page is served.
        for site_dir in sites:
            server = ThreadingHTTPServer((host, 0), BaseHTTPRequestHandler)
            server.daemon_threads = True
            web._servers.append(server)
            web.bases[site_dir.name] = f"http://{host}:{server.server_address[1]}"
        for site_dir, server in zip(sites, web._servers, strict=True):
            server.RequestHandlerClass = _make_handler(
                site_dir, _load_routes(site_dir), web, site_dir.name
            )
            threading.Thread(target=server.serve_forever, daemon=True).start()
        yield web
    finally:
        web.close()
