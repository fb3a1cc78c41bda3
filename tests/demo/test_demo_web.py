"""The bundled demo web serves what demo/truth.json says it serves.

If a check here fails after editing demo/sites/_source/, re-run
``python demo/build_sites.py`` so the sites, sources.toml and truth.json agree.
"""

from __future__ import annotations

import json
import re
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import feedparser
import pytest
import trafilatura
from lxml import html as lxml_html

from demo.server import DEFAULT_ROOT, DemoWeb, serve_web

DEMO = Path(__file__).resolve().parents[2] / "demo"
TRUTH = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))
SOURCES_TEMPLATE = (DEMO / "sources.toml").read_text(encoding="utf-8")
SITES = sorted(p.name for p in DEFAULT_ROOT.iterdir() if p.is_dir() and p.name[0] not in "_.")
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(url: str) -> tuple[int, str, str]:
    """Fetch ``url`` following redirects: (status, final URL, body)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.url, resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        err.close()
        return err.code, url, ""


@pytest.fixture(scope="module")
def web() -> Iterator[DemoWeb]:
    with serve_web() as running:
        yield running


@pytest.fixture(scope="module")
def sources(web: DemoWeb) -> list[dict]:
    return tomllib.loads(web.substitute(SOURCES_TEMPLATE))["sources"]


def _path(url: str) -> str:
    return urlsplit(url).path


def _feed_links(url: str) -> list[str]:
    status, _, body = _get(url)
    assert status == 200, f"feed {url} answered {status}"
    parsed = feedparser.parse(body)
    assert not parsed.bozo, f"feed {url} does not parse: {parsed.bozo_exception}"
    assert parsed.entries, f"feed {url} has no entries"
    for entry in parsed.entries:
        assert entry.get("published_parsed"), f"{entry.link} in {url} has no date"
    return [entry.link for entry in parsed.entries]


def _sitemap_links(url: str) -> list[str]:
    status, _, body = _get(url)
    assert status == 200, f"sitemap {url} answered {status}"
    root = ET.fromstring(body)
    if root.tag == f"{SM}sitemapindex":
        links: list[str] = []
        for loc in root.iter(f"{SM}loc"):
            links += _sitemap_links(loc.text or "")
        return links
    assert root.tag == f"{SM}urlset", f"{url} is neither a urlset nor a sitemap index"
    return [loc.text or "" for loc in root.iter(f"{SM}loc")]


def _sitemap_urls(index_url: str) -> list[ET.Element]:
    urls: list[ET.Element] = []
    for loc in ET.fromstring(_get(index_url)[2]).iter(f"{SM}loc"):
        urls += list(ET.fromstring(_get(loc.text or "")[2]).iter(f"{SM}url"))
    return urls


def _page_links(url: str) -> list[str]:
    status, final, body = _get(url)
    assert status == 200, f"section page {url} answered {status}"
    doc = lxml_html.fromstring(body)
    return [urljoin(final, href) for href in doc.xpath("//a/@href")]


def _discovered(web: DemoWeb, source: dict) -> dict[str, list[str]]:
    return {
        "feeds": [u for f in source["feeds"] for u in _feed_links(f)],
        "sitemaps": [u for s in source["sitemaps"] for u in _sitemap_links(s)],
        "pages": [u for p in source["pages"] for u in _page_links(p)],
    }


def test_sources_name_every_site(web: DemoWeb, sources: list[dict]) -> None:
    assert "__SITE_" not in json.dumps(sources), "unknown __SITE_<name>__ placeholder"
    assert sorted(s["name"] for s in sources) == SITES
    for source in sources:
        base = web.bases[source["name"]]
        assert set(source) <= {
            "name",
            "feeds",
            "sitemaps",
            "pages",
            "allow",
            "deny",
            "max_articles",
        }
        for url in source["feeds"] + source["sitemaps"] + source["pages"]:
            assert url.startswith(base + "/"), f"{url} of {source['name']} is not on its own site"


def test_truth_is_consistent() -> None:
    articles = TRUTH["articles"]
    assert len(SITES) >= 5
    assert len({(a["site"], a["path"]) for a in articles}) == len(articles)
    per_site = {site: sum(a["site"] == site for a in articles) for site in SITES}
    assert all(8 <= n <= 15 for n in per_site.values()), per_site
    copies: dict[str, int] = {}
    for article in articles:
        copies[article["story"]] = copies.get(article["story"], 0) + 1
        assert article["first_sentence"] in article["text"]
        assert "2025-11-19" <= article["published"][:10] <= "2025-11-22"
    assert sum(2 <= n <= 4 for n in copies.values()) >= 8
    assert set(TRUTH["expected_origin"]) == set(copies)
    seeds = {a["seed"]: a for a in articles if a["seed"]}
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    assert seeds["000"]["story"] == seeds["004"]["story"]
    assert len({seeds[s]["story"] for s in ("001", "002", "003", "004")}) == 4
    assert TRUTH["expected_origin"][seeds["004"]["story"]]["site"] == "spacewar"


def test_articles_answer_with_title_and_date(web: DemoWeb) -> None:
    for article in TRUTH["articles"]:
        url = web.url(article["site"], article["path"])
        status, final, body = _get(url)
        assert status == 200, f"{url} answered {status}"
        assert final == url, f"{url} redirected to {final}"
        doc = lxml_html.fromstring(body)
        assert article["title"] in doc.text_content(), f"{url} does not show its title"
        assert doc.get("lang") == "en"
        published = doc.xpath("//meta[@property='article:published_time']/@content")
        assert published, f"{url} has no article:published_time"
        assert datetime.fromisoformat(published[0]) == datetime.fromisoformat(
            article["published"]
        ), f"{url}: page date {published[0]} disagrees with truth {article['published']}"
        canonical = doc.xpath("//link[@rel='canonical']/@href")
        assert canonical == [url], f"{url} has canonical {canonical}"
        assert "__BASE__" not in body and "__SITE_" not in body and "{{" not in body


def test_discovery_covers_every_article_on_its_own_site(web: DemoWeb, sources: list[dict]) -> None:
    for source in sources:
        name, base = source["name"], web.bases[source["name"]]
        found = _discovered(web, source)
        for kind in ("feeds", "sitemaps"):
            for url in found[kind]:
                assert url.startswith(base + "/"), f"{kind} of {name} list off-site {url}"
        assert any(not u.startswith("http://127.0.0.1") for u in found["pages"]), (
            f"section page of {name} has no off-site link"
        )
        reachable: dict[str, set[str]] = {}
        for kind, urls in found.items():
            for url in urls:
                if not url.startswith(base + "/"):
                    continue
                status, final, _ = _get(url)
                if status == 200:
                    parts = urlsplit(final)
                    clean = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
                    reachable.setdefault(_path(clean), set()).add(kind)
        articles = [a for a in TRUTH["articles"] if a["site"] == name]
        for article in articles:
            assert article["path"] in reachable, (
                f"{name}{article['path']} is in no feed, sitemap or section page"
            )
        overlap = [a for a in articles if len(reachable[a["path"]]) == 3]
        assert overlap, f"no article of {name} is in its feed, sitemap and section page at once"


def test_feed_dates_agree_with_pages(web: DemoWeb, sources: list[dict]) -> None:
    by_path = {(a["site"], a["path"]): a for a in TRUTH["articles"]}
    for source in sources:
        for feed in source["feeds"]:
            for entry in feedparser.parse(_get(feed)[2]).entries:
                article = by_path.get((source["name"], _path(entry.link)))
                if article:
                    shown = datetime(*entry.published_parsed[:6]).strftime("%Y-%m-%dT%H:%M:%SZ")
                    assert shown == article["published"], f"{entry.link}: feed date {shown}"
        for sitemap in source["sitemaps"]:
            body = _get(sitemap)[2]
            for child in ET.fromstring(body).iter(f"{SM}loc"):
                if child.text and child.text.endswith("/news.xml"):
                    news = ET.fromstring(_get(child.text)[2])
                    for url in news.iter(f"{SM}url"):
                        article = by_path[(source["name"], _path(url.findtext(f"{SM}loc", "")))]
                        date = url.findtext(f"{NEWS}news/{NEWS}publication_date")
                        assert date == article["published"]
                        assert url.findtext(f"{NEWS}news/{NEWS}title") == article["title"]
    news_sites = [
        s["name"]
        for s in sources
        if ET.fromstring(_get(s["sitemaps"][0])[2]).tag == f"{SM}sitemapindex"
        and any(f"{NEWS}news" == el.tag for u in _sitemap_urls(s["sitemaps"][0]) for el in u)
    ]
    assert len(news_sites) >= 2


def test_traps_behave_as_declared(web: DemoWeb, sources: list[dict]) -> None:
    by_name = {s["name"]: s for s in sources}
    discovered = {name: _discovered(web, src) for name, src in by_name.items()}
    reasons = {n["reason"] for n in TRUTH["non_articles"]}
    assert reasons == {"404", "no-text", "robots", "redirect"}
    for item in TRUTH["non_articles"]:
        site, path = item["site"], item["path"]
        url = web.url(site, path)
        linked = {_path(u) for urls in discovered[site].values() for u in urls}
        assert path in linked, f"{site}{path} ({item['reason']}) is linked from nowhere"
        if item["reason"] == "404":
            assert _get(url)[0] == 404
        elif item["reason"] == "redirect":
            opener = urllib.request.build_opener(_NoRedirect)
            with pytest.raises(urllib.error.HTTPError) as err:
                opener.open(url, timeout=10)
            err.value.close()
            assert err.value.code == 301
            target = _path(err.value.headers["Location"])
            assert any(a["path"] == target for a in TRUTH["articles"] if a["site"] == site)
        elif item["reason"] == "robots":
            robots = RobotFileParser()
            robots.parse(_get(web.url(site, "/robots.txt"))[2].splitlines())
            assert not robots.can_fetch("wiredupe", url), f"robots.txt allows {url}"
            assert _get(url)[0] == 200  # the page is there: only robots.txt keeps it out
        elif item["reason"] == "no-text":
            status, _, body = _get(url)
            assert status == 200
            body_text = lxml_html.fromstring(body).xpath("string(//figcaption)")
            assert len(body_text.split()) < 10
    tracked = [u for u in discovered["spacewar"]["feeds"] if "utm_source=rss" in u]
    assert tracked, "the spacewar feed has no link with tracking parameters"
    assert _path(tracked[0]) in {_path(u) for u in discovered["spacewar"]["sitemaps"]}


def test_spacewar_carries_the_seed_sidebar(web: DemoWeb) -> None:
    seed = next(a for a in TRUTH["articles"] if a["seed"] == "004")
    body = _get(web.url("spacewar", seed["path"]))[2]
    text = lxml_html.fromstring(body).text_content()
    for snippet in [
        "Space Travel News",
        "TECH SPACE",
        "by AFP Staff Writers",
        "Taipei (AFP) Nov 21, 2025",
        *TRUTH["boilerplate_snippets"]["spacewar"],
    ]:
        assert snippet in text, f"spacewar page lacks {snippet!r}"
    assert len(TRUTH["seed_sidebar_headlines"]) >= 25
    for headline in TRUTH["seed_sidebar_headlines"]:
        assert headline in text, f"spacewar page lacks sidebar headline {headline!r}"
    assert text.index(seed["first_sentence"]) < text.index("Related Links")


def test_trafilatura_finds_the_article_and_no_chrome(web: DemoWeb) -> None:
    # include_comments=False: a comment form under one page is not article text,
    # and an extractor for this pipeline should leave comments out.
    leaks = []
    for article in TRUTH["articles"]:
        body = _get(web.url(article["site"], article["path"]))[2]
        text = re.sub(r"\s+", " ", trafilatura.extract(body, include_comments=False) or "")
        if article["first_sentence"] not in text:
            leaks.append(f"{article['site']}{article['path']}: first sentence missing")
        chrome = TRUTH["boilerplate_snippets"][article["site"]]
        if article["site"] == "spacewar":
            chrome = chrome + TRUTH["seed_sidebar_headlines"]
        leaks += [f"{article['site']}{article['path']}: {s!r}" for s in chrome if s in text]
    assert not leaks, "trafilatura output differs from truth:\n" + "\n".join(leaks)


def test_committed_sites_are_what_the_generator_writes(tmp_path: Path) -> None:
    """demo/sites/* is derived from demo/sites/_source by demo/build_sites.py."""
    from demo import build_sites

    truth = build_sites.build(tmp_path)
    committed = Path(build_sites.__file__).with_name("sites")
    generated = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    stored = {
        p.relative_to(committed)
        for p in committed.rglob("*")
        if p.is_file() and not p.relative_to(committed).parts[0].startswith("_")
    }
    assert generated == stored, "run `python demo/build_sites.py` and commit its output"
    for rel in sorted(generated):
        assert (tmp_path / rel).read_bytes() == (committed / rel).read_bytes(), (
            f"demo/sites/{rel} differs from its source: run `python demo/build_sites.py`"
        )
    on_disk = json.loads((committed.parent / "truth.json").read_text(encoding="utf-8"))
    assert json.loads(json.dumps(truth)) == on_disk
