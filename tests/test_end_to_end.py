"""The whole pipeline as a user runs it: the demo web, ``wiredupe run``, twice.

Real parts throughout: the demo web on 127.0.0.1, Scrapy in child processes,
trafilatura, datasketch, SQLite and PostgreSQL, and Prefect (a server started
once per test session, and once a temporary server of Prefect's own).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from dedupe import score_grouping
from demo.server import DemoWeb, serve_web
from flows.health import rate
from tests.conftest import child_env, run_wiredupe

ROOT = Path(__file__).resolve().parent.parent
TRUTH = json.loads((ROOT / "demo" / "truth.json").read_text(encoding="utf-8"))
# The crawler's fixture web; its trap site, delta, is described in its README.
CRAWL_WEB = ROOT / "tests" / "fixtures" / "crawl_web"
DELTA_NEWS = "/news/2025/11/"
DELTA_ARTICLES = {
    DELTA_NEWS + name + ".html"
    for name in (
        "delta-budget",
        "delta-harbour",
        "delta-cafe",  # windows-1252, declared only in <meta>
        "delta-zurich",  # ISO-8859-1, declared only in <meta>
        "delta-broken-markup",
        "delta-ferry",  # behind three redirects
        "delta-tide",
        "delta-nodate",
    )
}
# Article URLs no night should fetch again once met: not pages, or gone.
DELTA_LASTING = {
    DELTA_NEWS + name
    for name in (
        "delta-gone.html",
        "delta-huge.html",
        "delta-blank.html",
        "delta-annual-report.pdf",
        "delta-chart.html",
        "delta-loop.html",
    )
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web() -> Iterator[DemoWeb]:
    with serve_web() as running:
        yield running


@pytest.fixture(scope="module")
def sources_file(web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "sources.toml"
    text = (ROOT / "demo" / "sources.toml").read_text(encoding="utf-8")
    path.write_text(web.substitute(text), encoding="utf-8")
    return path


def wiredupe(
    *args: str, cwd: Path, api_url: str | None, db: str
) -> subprocess.CompletedProcess[str]:
    env = child_env(
        WIREDUPE_DATABASE_URL=db,
        WIREDUPE_CRAWL_DELAY="0",  # the demo web is local
        WIREDUPE_ARCHIVE_DIR=str(cwd / "data"),
        PREFECT_HOME=str(cwd / "prefect-home"),
    )
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return run_wiredupe(*args, cwd=cwd, env=env)


def _export(cwd: Path, db: str) -> list[dict[str, Any]]:
    out = wiredupe("export", "--format", "jsonl", cwd=cwd, api_url=None, db=db).stdout
    return [json.loads(line) for line in out.splitlines()]


def _the_queries_return_the_group(
    cwd: Path, db_url: str, group: dict[str, Any], copy_url: str
) -> None:
    """The CLI's search, the API and the pages all give the demo's AFP group."""
    from fastapi.testclient import TestClient

    from web import create_app

    searched = wiredupe(
        "groups", "--search", '"foxconn" openai', "--format", "json", cwd=cwd, api_url=None,
        db=db_url,
    )  # fmt: skip
    assert group["id"] in {g["id"] for g in json.loads(searched.stdout)}
    with TestClient(create_app(db_url)) as client:
        listed = client.get("/api/groups", params={"agency": "afp"}).json()["items"]
        assert group["id"] in {g["id"] for g in listed}
        assert all(g["agency"] == "AFP" for g in listed)
        assert client.get(f"/api/groups/{group['id']}").json()["origin"] == group["origin"]
        article = client.get("/api/articles", params={"url": copy_url}).json()
        assert article["group_id"] == group["id"]
        found = client.get("/api/search", params={"q": '"hon hai"'}).json()["items"]
        assert copy_url in {a["url"] for a in found}
        page = client.get("/", params={"search": "foxconn"}).text
        assert f'href="/groups/{group["id"]}"' in page
        assert group["origin"]["url"] in client.get(f"/groups/{group['id']}").text


def test_two_nights_on_the_demo_web(
    web: DemoWeb, sources_file: Path, prefect_api_url: str, db_url: str, tmp_path: Path
) -> None:
    first = wiredupe(
        "run", "--sources", str(sources_file), cwd=tmp_path, api_url=prefect_api_url, db=db_url
    )
    assert "new articles stored" in first.stdout

    articles = _export(tmp_path, db_url)
    by_url = {a["url"]: a for a in articles}
    expected = {web.url(a["site"], a["path"]): a for a in TRUTH["articles"]}
    assert sorted(by_url) == sorted(expected), (
        "every demo article stored exactly once under its canonical URL, and nothing else"
    )
    assert len(articles) == len(by_url)
    for trap in TRUTH["non_articles"]:
        assert web.url(trap["site"], trap["path"]) not in by_url, f"trap stored: {trap}"

    # The seed story: 004 (spacewar, AFP) and 000 (edited copy) in one group, 001-003 apart.
    seeds = {a["seed"]: web.url(a["site"], a["path"]) for a in TRUTH["articles"] if a.get("seed")}
    afp_group = by_url[seeds["004"]]["group_id"]
    assert by_url[seeds["000"]]["group_id"] == afp_group
    for rewrite in ("001", "002", "003"):
        assert by_url[seeds[rewrite]]["group_id"] != afp_group, f"seed {rewrite} is a rewrite"
    group = json.loads(
        wiredupe(
            "group", str(afp_group), "--format", "json", cwd=tmp_path, api_url=None, db=db_url
        ).stdout
    )
    story = next(a["story"] for a in TRUTH["articles"] if a.get("seed") == "004")
    origin = TRUTH["expected_origin"][story]
    assert group["origin"]["url"] == web.url(origin["site"], origin["path"])
    assert group["size"] == 2 and group["agency"] == "AFP"
    _the_queries_return_the_group(tmp_path, db_url, group, seeds["000"])

    # No headline of 004's sidebar, and no site chrome, reaches any stored text.
    for article in articles:
        for headline in TRUTH["seed_sidebar_headlines"]:
            assert headline not in article["text"], f"sidebar headline in {article['url']}"
        for snippet in TRUTH["boilerplate_snippets"].get(article["source"], []):
            assert snippet not in article["text"], f"boilerplate {snippet!r} in {article['url']}"

    # Every story grouped right: the grouping bar of DESIGN.md on the demo web.
    score = score_grouping(
        {url: a["group_id"] for url, a in by_url.items()},
        {url: t["story"] for url, t in expected.items()},
    )
    assert score.f1 >= 0.97 and score.ari >= 0.95, score

    # The second night stores nothing twice and keeps every group id.
    second = wiredupe(
        "run", "--sources", str(sources_file), cwd=tmp_path, api_url=prefect_api_url, db=db_url
    )
    # Nothing stored is fetched again: stored articles are in the seen set by their
    # canonical, fetched and requested (pre-redirect) URLs.
    assert "0 new articles stored, 0 already stored" in second.stdout
    again = _export(tmp_path, db_url)
    assert {a["url"]: a["group_id"] for a in again} == {u: a["group_id"] for u, a in by_url.items()}

    # Per source and run, what each night found, fetched, stored and skipped.
    report = wiredupe(
        "sources",
        "--sources",
        str(sources_file),
        "--runs",
        "2",
        "--format",
        "json",
        cwd=tmp_path,
        api_url=None,
        db=db_url,
    )
    records = json.loads(report.stdout)
    names = {s["site"] for s in TRUTH["articles"]}
    assert {r["source"] for r in records} >= names
    night1 = [r for r in records if r["run_id"] == min(x["run_id"] for x in records)]
    night2 = [r for r in records if r["run_id"] == max(x["run_id"] for x in records)]
    assert sum(r["stored"] for r in night1) == len(articles)
    assert all(r["total"] == sum(a["source"] == r["source"] for a in articles) for r in records)
    assert sum(r["stored"] + r["already_stored"] for r in night2) == 0
    assert sum(r["skipped"].get("seen", 0) for r in night2) >= len(articles)
    # The demo's feeds and sitemaps did not change: asked for conditionally, unchanged.
    assert all(r["not_modified"] > 0 for r in night2), night2
    assert any(r["errors"].get("http_error") for r in night1), "the demo's 404s are recorded"
    # Pages with no article (galleries, videos) are not fetched again; only the
    # error pages are, since a 404 may be an article tomorrow.
    assert sum(r["rejected"] for r in night1) > sum(r["rejected"] for r in night2)
    assert sum(r["rejected"] for r in night2) == sum(
        r["errors"].get("http_error", 0) for r in night2
    )
    # Of the rejected pages, those fetched whole with no article in them (not the
    # error pages) make each source's no-article rate; the second night has none.
    assert sum(r["empty"] for r in night1) == sum(
        r["rejected"] - r["errors"].get("http_error", 0) for r in night1
    )
    assert sum(r["empty"] for r in night1) > 0 and sum(r["empty"] for r in night2) == 0
    for r in night1:
        assert r["empty_rate"] == rate(r["empty"], r["stored"] + r["already_stored"] + r["empty"])


def test_run_with_a_temporary_prefect_server(sources_file: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'temp.db'}"
    proc = wiredupe(
        "run",
        "--sources",
        str(sources_file),
        "--source",
        "spacewar",
        cwd=tmp_path,
        api_url=None,
        db=db,
    )
    assert "new articles stored" in proc.stdout
    sources = {a["source"] for a in _export(tmp_path, db)}
    assert sources == {"spacewar"}


def test_two_nights_on_the_trap_site(prefect_api_url: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'traps.db'}"
    with serve_web(root=CRAWL_WEB) as web:
        d = web.bases["delta"]
        sources = tmp_path / "sources.toml"
        sources.write_text(
            f"""
[crawl]
timeout = 1.5      # delta-slow answers after 3 s
max_page_mb = 0.1  # delta-huge is 300,000 bytes
retries = 1

[[sources]]
name = "delta"
feeds = ["{d}/rss.xml", "{d}/rdf.xml", "{d}/hostile-lol.xml", "{d}/hostile-xxe.xml"]
sitemaps = ["{d}/sitemap.xml"]
pages = ["{d}/latest/"]
""",
            encoding="utf-8",
        )
        run = ("run", "--sources", str(sources))
        first = wiredupe(*run, cwd=tmp_path, api_url=prefect_api_url, db=db)
        assert "Traceback" not in first.stderr
        articles = _export(tmp_path, db)
        stored = sorted(urlsplit(a["url"]).path for a in articles)
        assert stored == sorted(DELTA_ARTICLES), "every real article once, and no trap"
        texts = {urlsplit(a["url"]).path: a["text"] for a in articles}
        assert "café" in texts[DELTA_NEWS + "delta-cafe.html"].lower()
        assert "\ufffd" not in "".join(texts.values()), "a legacy encoding was misread"

        (night1,) = json.loads(
            wiredupe("sources", "--format", "json", cwd=tmp_path, api_url=None, db=db).stdout
        )
        assert night1["stored"] == len(DELTA_ARTICLES)
        for outcome in ("http_error", "timeout", "too_large", "not_html", "empty", "redirects"):
            assert night1["errors"].get(outcome), f"no {outcome} recorded: {night1['errors']}"

        second_started = time.monotonic()
        second = wiredupe(*run, cwd=tmp_path, api_url=prefect_api_url, db=db)
        assert "0 new articles stored, 0 already stored" in second.stdout
        again = {hit.path for hit in web.hits("delta") if hit.time >= second_started}
        assert not again & DELTA_ARTICLES, "a stored article was fetched again"
        assert not again & DELTA_LASTING, "a page that is no article was fetched again"
        assert DELTA_NEWS + "delta-busy.html" in again, "a 503 is tried again the next night"
        conditional = [h for h in web.hits("delta", "/rss.xml") if h.time >= second_started]
        assert conditional and all(h.status == 304 for h in conditional)
