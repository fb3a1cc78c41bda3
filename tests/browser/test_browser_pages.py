"""The pages in a real browser: list, search box, filters, a group, sources, and escaping.

The store is filled the way a user fills it (``ingest_files`` over JSON lines:
extraction, storage, dedupe), with the seed reports of one AFP story and a
harbour story whose first copy carries hostile markup in its headline and text.
The app runs under uvicorn; headless Chromium clicks and types through it.
"""

from __future__ import annotations

import json

import pytest
from browser_harness import Tab
from playwright.sync_api import Page, expect

import storage
from dedupe import DedupeConfig
from flows.ingest import ingest_files
from flows.stages import open_store
from tests.conftest import seed_texts

HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"

AFP_TITLE = "OpenAI, Foxconn team up on US AI hardware"
COPY_TITLE = "Foxconn to build OpenAI data centre hardware"
REWRITE_TITLE = "OpenAI partners with Hon Hai"
HOSTILE_TITLE = f"Storm shuts harbour {HOSTILE} {SCRIPT}"
HARBOUR = (
    "The port authority closed the northern harbour on Tuesday after a storm surge damaged "
    "two piers and left fishing boats stranded, officials said. Engineers expect repairs to "
    "take at least three weeks, and ferries will dock at the southern terminal until then. "
    "Local traders warned that the closure would hit seafood deliveries ahead of the holiday "
    "season. The mayor promised compensation for businesses that lose income during the "
    "works and said a new breakwater would be built next year."
)


def _articles() -> list[dict[str, str]]:
    """Two copies of the AFP dispatch, one rewrite of the event, two copies of the harbour story."""
    seeds = seed_texts()

    def article(source: str, slug: str, title: str, published: str, text: str) -> dict[str, str]:
        return {
            "url": f"https://{source}.example/{slug}",
            "source": source,
            "title": title,
            "published": published,
            "text": text,
        }

    return [
        article("spacewar", "openai-foxconn", AFP_TITLE, "2025-11-21T06:00:00Z", seeds["004"]),
        article("dailytech", "foxconn-openai", COPY_TITLE, "2025-11-21T08:05:00Z", seeds["000"]),
        article("mintwatch", "hon-hai", REWRITE_TITLE, "2025-11-21T09:00:00Z", seeds["001"]),
        article(
            "coastal", "harbour", HOSTILE_TITLE, "2025-11-20T10:00:00Z",
            f"{HARBOUR}\n{HOSTILE} {SCRIPT}",
        ),
        article(
            "seaside", "harbour", "Northern harbour closed after storm", "2025-11-20T11:30:00Z",
            HARBOUR,
        ),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store after one ingest of :func:`_articles` and one nightly run of spacewar."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'wiredupe.db'}"
    lines = folder / "articles.jsonl"
    lines.write_text("".join(json.dumps(a) + "\n" for a in _articles()), encoding="utf-8")
    errors: list[object] = []
    ingest_files([lines], db_url=url, dedupe=DedupeConfig(), on_error=errors.append)
    assert errors == [], f"the test articles should ingest cleanly: {errors}"
    # What a nightly run leaves for the sources page, with hostile text in its health line.
    with open_store(url) as sessions, sessions.begin() as s:
        run = storage.start_run(s, "run")
        record = {"source": "spacewar", "run_id": run, "discovered": 3, "fetched": 2, "stored": 1,
                  "errors": {"http_error": 1}, "empty_rate": None, "failed": None,
                  "health": [f"1 page failed {HOSTILE}"]}  # fmt: skip
        storage.finish_run(s, run, "completed", {"by_source": [record]})
    return url


def _cells(page: Page, table: str) -> list[list[str]]:
    """The text of each cell of each body row of the table with id ``table``."""
    rows = page.locator(f"#{table} tbody tr")
    return rows.evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")


def _titles(page: Page) -> list[str]:
    return [row[4] for row in _cells(page, "groups")]


def _submit_search(page: Page, words: str) -> None:
    """Type ``words`` into the list's search box and press Enter, as a reader does."""
    box = page.get_by_role("searchbox", name="search")
    box.fill(words)
    with page.expect_navigation():
        box.press("Enter")
    expect(box).to_have_value(words)


def _assert_inert(tab: Tab) -> None:
    """The hostile markup shows as text: no element made of it, no script run from it."""
    page = tab.page
    expect(page.locator("main")).to_contain_text(HOSTILE)
    assert page.locator('img[src="x"]').count() == 0, f"{HOSTILE} became an element on {page.url}"
    ran = page.evaluate("[...document.scripts].some(s => s.text.includes('alert(2)'))")
    assert not ran, f"{SCRIPT} became a script element on {page.url}"
    tab.assert_quiet()


def test_the_watch_sees_a_dialog_from_hostile_markup(tab: Tab) -> None:
    # The escaping checks below rely on this: unescaped, the payload opens a dialog.
    with tab.page.expect_event("dialog"):
        tab.page.set_content(f"<p>{HOSTILE}</p>")
    assert tab.dialogs == ["alert: 1"]


def test_the_list_shows_each_group_largest_and_newest_first(tab: Tab) -> None:
    tab.page.goto("/")
    # size, agency, first published, title, origin, outlets (the id is the store's choice).
    assert [row[1:] for row in _cells(tab.page, "groups")] == [
        ["2", "AFP", "2025-11-21 06:00", AFP_TITLE, "spacewar", "2"],
        ["2", "–", "2025-11-20 10:00", HOSTILE_TITLE, "coastal", "2"],
        ["1", "–", "2025-11-21 09:00", REWRITE_TITLE, "mintwatch", "1"],
    ], "each story group once, largest and newest first: the 2 copies of a story together"
    _assert_inert(tab)


def test_the_search_box_narrows_the_list_and_echoes_the_query_as_text(tab: Tab) -> None:
    tab.page.goto("/")
    _submit_search(tab.page, "harbour")
    assert _titles(tab.page) == [HOSTILE_TITLE], "only the harbour story mentions 'harbour'"
    _assert_inert(tab)
    # A query that matches nothing is shown back to the reader, as text.
    _submit_search(tab.page, f"nosuchword {HOSTILE}")
    expect(tab.page.locator("#groups")).to_contain_text(
        f"No story groups match “nosuchword {HOSTILE}”"
    )
    _assert_inert(tab)


def test_the_source_and_agency_filters_narrow_the_list(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    source = page.get_by_label("source", exact=True)
    source.fill("mintwatch")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert _titles(page) == [REWRITE_TITLE]
    expect(source).to_have_value("mintwatch")
    source.fill("")
    page.get_by_label("agency", exact=True).fill("AFP")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    assert _titles(page) == [AFP_TITLE]
    tab.assert_quiet()


def test_a_group_page_shows_origin_agency_copies_and_spread(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name=AFP_TITLE).click()
    assert "/groups/" in page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(AFP_TITLE)
    summary = page.locator("main > p").first
    expect(summary).to_contain_text("2 copies in 2 outlets")
    expect(summary).to_contain_text("agency: AFP")
    expect(summary).to_contain_text("origin: spacewar")
    origin = summary.get_by_role("link", name="spacewar")
    expect(origin).to_have_attribute("href", "https://spacewar.example/openai-foxconn")
    # published, outlet, similarity, title, what it changed
    copies = _cells(page, "articles")
    assert [row[:2] for row in copies] == [
        ["2025-11-21 06:00", "spacewar (origin)"],
        ["2025-11-21 08:05", "dailytech"],
    ]
    assert copies[0][3].startswith(AFP_TITLE) and "credits AFP" in copies[0][3]
    assert copies[0][4] == "the origin"
    assert copies[1][3] == COPY_TITLE and "new headline" in copies[1][4]
    expect(page.get_by_role("heading", name="How the story spread")).to_be_visible()
    expect(page.locator("#timeline li")).to_have_text(
        ["2025-11-21 06:00 · first spacewar (origin)", "2025-11-21 08:05 · +2 h 05 min dailytech"]
    )
    tab.assert_quiet()


def test_the_hostile_group_page_shows_its_headline_as_text(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("link", name=HOSTILE_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_TITLE)
    expect(page).to_have_title(f"{HOSTILE_TITLE} · wiredupe")
    _assert_inert(tab)


def test_the_sources_page_shows_each_sources_last_night(tab: Tab) -> None:
    page = tab.page
    page.goto("/")
    with page.expect_navigation():
        page.locator("header").get_by_role("link", name="sources").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sources")
    # source, (run), found, fetched, stored, errors, no article, articles in all, health
    rows = _cells(page, "sources")
    assert [row[:1] + row[2:] for row in rows] == [
        ["spacewar", "3", "2", "1", "1", "–", "1", f"1 page failed {HOSTILE}"]
    ]
    _assert_inert(tab)
