"""Browser-test helpers: find Debian's Chromium, serve an app on a free port, watch a tab.

Without a browser the tests are skipped; when ``WIREDUPE_TEST_CHROMIUM`` names
one (CI sets it in .ci/run) a missing browser is a failure.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import ConsoleMessage, Dialog, Page, Request, Response
from playwright.sync_api import Error as PlaywrightError

CHROMIUM_ENV = "WIREDUPE_TEST_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Playwright cannot download its own browsers here; Debian's chromium runs headless
# with these flags. Without the background-networking ones it calls home (updates,
# sync, field trials), which floods a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def chromium_path() -> str:
    """The browser to drive; skips the test without one, unless CI asked for one."""
    wanted = os.environ.get(CHROMIUM_ENV)
    path = wanted or DEFAULT_CHROMIUM
    if Path(path).is_file() and os.access(path, os.X_OK):
        return path
    if wanted:
        pytest.fail(
            f"{CHROMIUM_ENV}={wanted} but there is no browser there: install Debian's chromium "
            f"(apt-get install chromium) or point {CHROMIUM_ENV} at a Chromium binary"
        )
    pytest.skip(
        f"browser tests need Chromium at {DEFAULT_CHROMIUM} (apt-get install chromium) or "
        f"{CHROMIUM_ENV}=/path/to/chromium; CI sets it in .ci/run"
    )


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve the ASGI ``app`` with uvicorn on a free port of 127.0.0.1; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none")
    server = uvicorn.Server(config)
    # Not the main thread: uvicorn leaves the signal handlers alone; should_exit stops it.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started or not thread.is_alive():
                break
            thread.join(0.05)
        assert server.started, "uvicorn did not start serving the app within 10 s; see its log"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop within 10 s of should_exit"


@dataclass
class Tab:
    """A page on the app, and every dialog and error seen in it since it opened.

    Call :meth:`watch` once; then :meth:`assert_quiet` checks that no JS dialog
    opened, nothing was logged to the console as an error, no script threw, and
    no request to the app failed or answered 4xx/5xx.
    """

    page: Page
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def watch(self) -> None:
        """Record the page's dialogs and errors from now on."""
        self.page.on("dialog", self._on_dialog)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    def assert_quiet(self) -> None:
        """No dialog opened and nothing failed on any page this tab showed."""
        assert self.dialogs == [], f"a JS dialog opened: scraped text ran as code: {self.dialogs}"
        assert self.errors == [], f"the pages logged errors or failed requests: {self.errors}"

    def _on_dialog(self, dialog: Dialog) -> None:
        # A listener must close the dialog, or the page waits for it forever.
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _on_console(self, message: ConsoleMessage) -> None:
        # The app serves no favicon; Chromium's own request for one is no page's error.
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):
            self.errors.append(f"console: {message.text} ({where})")

    def _on_page_error(self, error: PlaywrightError) -> None:
        self.errors.append(f"uncaught: {error}")

    def _on_request_failed(self, request: Request) -> None:
        if request.url.startswith(self.base_url):
            self.errors.append(f"request failed: {request.url} ({request.failure})")

    def _on_response(self, response: Response) -> None:
        if response.url.startswith(self.base_url) and response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")
