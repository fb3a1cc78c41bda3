"""The server-rendered pages: the list (filters, pages), a group (copies, spread), sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

import storage

T0 = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)
HOSTILE = "<img src=x onerror=alert(1)>"


def _row(i: int, **extra: object) -> dict[str, object]:
    return {
        "url": f"https://site{i}.example/story",
        "fetched_url": f"https://site{i}.example/story",
        "source": f"site{i}",
        "title": f"Story {i}",
        "text": "Text.",
        "published": T0 + timedelta(minutes=10 * i),
        "fetched": T0,
        **extra,
    }


@pytest.fixture
def client(
    sessions: sessionmaker[Session], request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, int]]:
    """One group of three copies (site1 first, with changes), 54 lone articles, one run."""
    rows = [
        _row(1, agency="AFP", agency_evidence=HOSTILE),
        _row(2),
        _row(3, url="javascript:alert(1)"),
    ]
    rows += [_row(i) for i in range(10, 64)]
    with sessions.begin() as s:
        ids = storage.insert_articles(s, rows)
        first, second, third = (ids[str(r["url"])] for r in rows[:3])
        group, *lone = storage.create_groups(s, 1 + 54)
        assignments = {first: group, second: group, third: group}
        assignments |= {ids[str(r["url"])]: g for r, g in zip(rows[3:], lone, strict=True)}
        storage.set_groups(s, assignments)
        changed = {"summary": "new headline; 3 of 4 paragraphs kept, 1 cut", "origin_id": first}
        updates = [
            storage.GroupUpdate(group, first, {second: 0.8, third: 0.6}, "AFP", {second: changed})
        ]
        updates += [
            storage.GroupUpdate(g, a, {}, None) for a, g in assignments.items() if g != group
        ]
        storage.update_groups(s, updates)
        run = storage.start_run(s, "run")
        record = {"source": "site1", "run_id": run, "discovered": 4, "fetched": 3, "stored": 0,
                  "errors": {"http_error": 1}, "empty_rate": None, "failed": None,
                  "health": [f"stored nothing {HOSTILE}"]}  # fmt: skip
        storage.finish_run(s, run, "completed", {"by_source": [record]})
    # The app, once the store is filled.
    yield request.getfixturevalue("app"), group


def test_the_list_filters_and_pages(client: tuple[TestClient, int]) -> None:
    c, group = client
    first = c.get("/", params={"min_size": 1})
    assert first.status_code == 200
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    assert first.text.count('<td class="num"><a href="/groups/') == 50
    assert f'href="/groups/{group}"' in first.text, "the largest group comes first"
    second = c.get("/", params={"min_size": 1, "offset": 50})
    assert second.text.count('<td class="num"><a href="/groups/') == 5
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert 'href="/?min_size=1"' in second.text, "the previous page keeps the filters"
    only = c.get("/", params={"source": "site2"}).text
    assert only.count('<td class="num"><a href="/groups/') == 1 and "Story 1" in only
    assert "No story groups" in c.get("/", params={"agency": "Reuters"}).text
    assert c.get("/", params={"since": "not a date"}).status_code == 422


def test_the_list_takes_its_form_as_a_browser_sends_it(client: tuple[TestClient, int]) -> None:
    c, _ = client
    rows = '<td class="num"><a href="/groups/'
    # A submitted form sends every field, the blank ones empty: no filter, not a 422.
    blank = {"search": "", "since": "", "until": "", "min_size": "", "source": "", "agency": ""}
    page = c.get("/", params=blank)
    assert page.status_code == 200 and page.text.count(rows) == 50
    # Until a date is until the end of that day: the day's groups are in.
    assert c.get("/", params={**blank, "until": "2025-11-21"}).text.count(rows) == 50
    assert "No story groups" in c.get("/", params={**blank, "until": "2025-11-20"}).text
    assert c.get("/", params={**blank, "until": "2025-11-21T06:05"}).text.count(rows) == 0
    assert c.get("/", params={**blank, "min_size": "0"}).status_code == 422


def test_a_group_page_shows_each_copy_its_changes_and_the_spread(
    client: tuple[TestClient, int],
) -> None:
    c, group = client
    html = c.get(f"/groups/{group}").text
    assert "3 copies in 3 outlets" in html and "agency: AFP" in html
    assert "new headline; 3 of 4 paragraphs kept, 1 cut" in html
    timeline = html.split('<ol id="timeline">', 1)[1].split("</ol>", 1)[0]
    assert [
        line.split("·")[1].split("</span>")[0].strip() for line in timeline.split("<li>")[1:]
    ] == [
        "first",
        "+10 min",
        "+20 min",
    ]
    # Scraped text is text; a scraped javascript: URL is no link.
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html and 'href="#"' in html


def test_the_sources_page_shows_recent_health(client: tuple[TestClient, int]) -> None:
    c, _ = client
    html = c.get("/sources").text
    assert "site1" in html and "stored nothing" in html
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="/sources">' in c.get("/").text
