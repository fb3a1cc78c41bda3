from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

import storage

T0 = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(
    sessions: sessionmaker[Session], request: pytest.FixtureRequest
) -> Iterator[tuple[TestClient, int]]:
    rows = [
        {
            "url": f"https://site{i}.example/story",
            "fetched_url": f"https://site{i}.example/story",
            "source": f"site{i}",
            "title": HOSTILE if i == 1 else f"Foxconn deal {i}",
            "text": "Foxconn and OpenAI agreed to build hardware.",
            "published": T0,
            "fetched": T0,
        }
        for i in (1, 2)
    ]
    rows[1]["fetched_url"] = "https://site2.example/story?utm_source=rss"
    with sessions.begin() as s:
        run_id = storage.start_run(s, "run")
        by_source = [{"source": "site1", "run_id": run_id, "stored": 1, "health": []}]
        storage.finish_run(s, run_id, "completed", {"by_source": by_source})
        ids = list(storage.insert_articles(s, rows).values())
        (gid,) = storage.create_groups(s, 1)
        storage.set_groups(s, dict.fromkeys(ids, gid))
        storage.update_groups(s, [storage.GroupUpdate(gid, ids[0], {ids[1]: 0.7}, "AFP")])
    # The app, once the store is filled.
    yield request.getfixturevalue("app"), gid


def test_api_lists_and_shows_groups(client: tuple[TestClient, int]) -> None:
    c, gid = client
    body = c.get("/api/groups").json()
    assert [g["id"] for g in body["items"]] == [gid]
    group = c.get(f"/api/groups/{gid}").json()
    assert group["size"] == 2 and group["agency"] == "AFP"
    assert group["origin"]["source"] == "site1"
    assert c.get("/api/groups", params={"search": "nothing like this"}).json()["items"] == []
    for since in ("2025-11-21", "2025-11-21T00:00:00", "2025-11-21T00:00:00Z"):
        response = c.get("/api/groups", params={"since": since})
        assert response.status_code == 200 and len(response.json()["items"]) == 1
    assert c.get("/api/groups", params={"since": "2025-11-22"}).json()["items"] == []


def test_api_group_filters(client: tuple[TestClient, int]) -> None:
    c, gid = client

    def ids(**params: str) -> list[int]:
        response = c.get("/api/groups", params=params)
        assert response.status_code == 200, response.text
        return [g["id"] for g in response.json()["items"]]

    assert ids(until="2025-11-21T07:00") == [gid] and ids(until="2025-11-20") == []
    assert ids(source="site2") == [gid] and ids(source="site9") == []
    assert ids(agency="afp") == [gid] and ids(agency="Reuters") == []
    assert ids(offset="1") == []


def test_api_errors_are_json_with_status(client: tuple[TestClient, int]) -> None:
    c, _ = client
    missing = c.get("/api/groups/999")
    assert missing.status_code == 404 and "999" in missing.json()["detail"]
    page = c.get("/groups/999")
    assert page.status_code == 404 and "no story group with id 999" in page.json()["detail"]
    assert c.get("/api/groups", params={"min_size": 0}).status_code == 422
    assert c.get("/api/groups", params={"since": "yesterday-ish"}).status_code == 422
    assert c.get("/api/groups", params={"until": "soon"}).status_code == 422
    assert c.get("/api/groups", params={"source": "x" * 1000}).status_code == 422
    assert c.get("/api/groups", params={"offset": -1}).status_code == 422


def test_pages_escape_scraped_text(client: tuple[TestClient, int]) -> None:
    c, gid = client
    for path in ("/", f"/groups/{gid}"):
        html = c.get(path).text
        assert HOSTILE not in html, f"{path} renders a scraped title as HTML"
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert c.get("/", params={"search": "<script>"}).text.count("<script>") == 0


def test_api_finds_an_article_by_any_of_its_urls(client: tuple[TestClient, int]) -> None:
    c, gid = client
    for url in ("https://site2.example/story", "https://site2.example/story?utm_source=rss"):
        article = c.get("/api/articles", params={"url": url}).json()
        assert article["url"] == "https://site2.example/story"
        assert article["group_id"] == gid and article["agency"] == "AFP"
        assert article["text"].startswith("Foxconn") and article["is_origin"] is False
    missing = c.get("/api/articles", params={"url": "https://nowhere.example/"})
    assert missing.status_code == 404 and "nowhere.example" in missing.json()["detail"]
    assert c.get("/api/articles").status_code == 422


def test_api_sources_and_runs(client: tuple[TestClient, int]) -> None:
    c, _ = client
    (site1,) = c.get("/api/sources").json()["items"]
    assert site1["source"] == "site1"
    assert [(r["stored"], r["total"]) for r in site1["runs"]] == [(1, 1)]
    (run,) = c.get("/api/runs").json()["items"]
    assert run["kind"] == "run" and run["status"] == "completed" and run["finished_at"]
    assert c.get("/api/runs", params={"kind": "ingest"}).json()["items"] == []
    assert c.get("/api/runs", params={"kind": "drop table"}).status_code == 422
    assert c.get("/api/sources", params={"runs": 0}).status_code == 422
    paths = c.get("/openapi.json").json()["paths"]
    assert {"/api/articles", "/api/search", "/api/sources", "/api/runs"} <= set(paths)


def test_api_search_finds_articles(client: tuple[TestClient, int]) -> None:
    c, gid = client
    found = c.get("/api/search", params={"q": '"foxconn deal" 2'}).json()["items"]
    assert [a["url"] for a in found] == ["https://site2.example/story"]
    assert found[0]["group_id"] == gid and "text" not in found[0]
    both = c.get("/api/search", params={"q": "openai hardw*"}).json()["items"]
    assert len(both) == 2
    assert c.get("/api/search", params={"q": "openai", "limit": 1, "offset": 1}).json()[
        "items"
    ] == [both[1]]
    assert c.get("/api/search").status_code == 422
    assert c.get("/api/search", params={"q": "x" * 201}).status_code == 422
