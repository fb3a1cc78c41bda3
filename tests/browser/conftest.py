"""Fixtures for the browser tests: headless Chromium and the real app served by uvicorn.

A test module provides a module-scoped ``store_url`` fixture (a filled, migrated
database); ``base_url`` serves the app over it, ``tab`` is a fresh, watched
Chromium page on it (see :class:`browser_harness.Tab`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_harness import CHROMIUM_ARGS, Tab, chromium_path, serve
from playwright.sync_api import Browser, sync_playwright

from web import create_app

# Short enough that a missing element fails a test in seconds, not minutes.
TIMEOUT_MS = 5_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium for one test module, closed before the next module runs."""
    path = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def base_url(store_url: str) -> Iterator[str]:
    """The real app over ``store_url``, on a free port of 127.0.0.1 until the module ends."""
    with serve(create_app(store_url)) as url:
        yield url


@pytest.fixture
def tab(browser: Browser, base_url: str) -> Iterator[Tab]:
    """A fresh page (its own cookies and storage) on the app, watched for dialogs and errors."""
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    watched = Tab(context.new_page(), base_url)
    watched.watch()
    try:
        yield watched
    finally:
        context.close()
