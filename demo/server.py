"""Serve the bundled offline demo web on 127.0.0.1, one port per site.

Each folder under a web root (``demo/sites/`` by default) is one site. Every
site gets its own HTTP server on an ephemeral port of 127.0.0.1, so sites have
distinct origins (host and port) the way real news sites have distinct hosts.

Files are served as stored, except that text files (HTML, XML, TXT) may
contain placeholders that are replaced at serve time, because the ports are
only known then:

- ``__BASE__``: this site's base URL, e.g. ``http://127.0.0.1:41234``;
- ``__SITE_<name>__``: another site's base URL (cross-site links).

Special files in a site folder:

- ``_routes.toml`` (optional): per-path behaviour that a static folder cannot
  express, as ``[[route]]`` tables with ``path`` and one of ``status``
  (e.g. 404, 500, 503), ``redirect`` (a path or URL), ``content_type``.
"""

from __future__ import annotations

import mimetypes
import threading
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = ["DEFAULT_ROOT", "DemoWeb", "serve_web"]

DEFAULT_ROOT = Path(__file__).with_name("sites")

# Text files get their placeholders replaced; everything else is sent as bytes.
_TEXT_SUFFIXES = {".html", ".htm", ".xml", ".txt", ".rss", ".atom", ".json"}


@dataclass(frozen=True)
class _Route:
    status: int | None = None
    redirect: str | None = None
    content_type: str | None = None


@dataclass
class DemoWeb:
    """A running demo web: site name to base URL, and the servers behind it."""

    root: Path
    bases: dict[str, str] = field(default_factory=dict)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list, repr=False)

    def url(self, site: str, path: str = "/") -> str:
        """Return the absolute URL of ``path`` on ``site``."""
        return self.bases[site] + path

    def substitute(self, text: str) -> str:
        """Replace the ``__SITE_<name>__`` placeholders in ``text`` with base URLs."""
        for name, base in self.bases.items():
            text = text.replace(f"__SITE_{name}__", base)
        return text

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
        )
    return routes


def _make_handler(
    site_dir: Path, routes: Mapping[str, _Route], web: DemoWeb, site: str
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "wiredupe-demo/1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet: the crawler's own log says what was fetched."""

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def _respond(self, *, send_body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            route = routes.get(path)
            if route and route.redirect:
                target = route.redirect
                if target.startswith("/"):
                    target = web.bases[site] + target
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                target = web.substitute(target.replace("__BASE__", web.bases[site]))
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if route and route.status and route.status >= 400:
                self._send(route.status, b"<html><body>error</body></html>", "text/html", send_body)
                return
            file = self._resolve(path)
            if file is None:
                self._send(404, b"<html><body>Not found</body></html>", "text/html", send_body)
                return
            body = file.read_bytes()
            if file.suffix in _TEXT_SUFFIXES or file.name == "robots.txt":
                body = self._fill(body)
            ctype = (route and route.content_type) or _content_type(file)
            self._send(200, body, ctype, send_body)

        def _resolve(self, path: str) -> Path | None:
            candidate = (site_dir / path.lstrip("/")).resolve()
            if not candidate.is_relative_to(site_dir.resolve()):
                return None
            if candidate.is_dir():
                candidate = candidate / "index.html"
            if candidate.name.startswith("_") or not candidate.is_file():
                return None
            return candidate

        def _fill(self, body: bytes) -> bytes:
            # Placeholders are ASCII, so this works on any ASCII-compatible encoding.
            body = body.replace(b"__BASE__", web.bases[site].encode())
            for name, base in web.bases.items():
                body = body.replace(f"__SITE_{name}__".encode(), base.encode())
            return body

        def _send(self, status: int, body: bytes, ctype: str, send_body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

    return Handler


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
