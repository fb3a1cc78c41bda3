"""Unit tests of the crawler's pure parts: URLs, discovery parsers, policy, WARC records, argv."""

from __future__ import annotations

import ast
import gzip
import json
import sys
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from crawler import (
    FetchedResponse,
    FetchEvent,
    Source,
    SpiderArgumentError,
    crawl_command,
    crawl_env,
    crawl_outputs,
    load_seen_urls,
    normalize_url,
)
from crawler.archive import warc_response_record
from crawler.discovery import feed_links, iso_hint, section_links, sitemap_links
from crawler.policy import ArticlePolicy
from crawler.urls import url_origin

CRAWLER = Path(__file__).parents[2] / "crawler"
OURS = {"crawler", "extract", "dedupe", "storage", "web", "flows", "demo"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://News.Example.COM/a.html#top", "https://news.example.com/a.html"),
        ("https://e.com/a?utm_source=rss&utm_medium=x&id=3", "https://e.com/a?id=3"),
        ("https://e.com/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=rss", "https://e.com/a"),
        ("https://e.com/a?b=2&a=1", "https://e.com/a?a=1&b=2"),
        ("http://e.com:80/a", "http://e.com/a"),
        ("https://E.com:443/a?utm_id=1", "https://e.com/a"),
        ("https://e.com:80/a", "https://e.com:80/a"),  # not the scheme's default port
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/a"),
        ("https://e.com/caf\u00e9 1", "https://e.com/caf%C3%A9%201"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected  # idempotent


def test_url_origin_includes_the_port() -> None:
    assert url_origin("http://127.0.0.1:4000/x") != url_origin("http://127.0.0.1:4001/x")
    assert url_origin("https://E.com/x") == ("e.com", 0)
    # One site over http and https: an https feed may link its articles over http.
    assert url_origin("http://e.com:80/a") == url_origin("https://e.com/b")
    assert url_origin("https://e.com:8443/a") != url_origin("https://e.com/b")


def test_load_seen_urls_normalises_and_skips_comments(tmp_path: Path) -> None:
    path = tmp_path / "seen.txt"
    path.write_text("# stored\n\nhttps://E.com/a?utm_source=x\n  https://e.com/b#c \n")
    assert load_seen_urls(path) == {"https://e.com/a", "https://e.com/b"}
    with pytest.raises(SpiderArgumentError, match=r"missing\.txt"):
        load_seen_urls(tmp_path / "missing.txt")


RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="http://e.com/"><title>E</title><link>http://e.com/</link></channel>
  <item rdf:about="http://e.com/1"><title>One</title><link>http://e.com/1</link>
    <dc:date>2025-11-21T09:00:00+01:00</dc:date></item>
</rdf:RDF>"""


def test_feed_links_reads_rdf_dates() -> None:
    found = feed_links(RDF, url="http://e.com/rdf", content_type="application/rdf+xml")
    assert [(link.url, link.published) for link in found.links] == [
        ("http://e.com/1", "2025-11-21T08:00:00+00:00")
    ]
    assert found.problem is None


def test_feed_links_never_resolves_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>&xxe;</title>
<item><title>&xxe;</title><link>http://e.com/&xxe;</link></item></channel></rss>""".encode()
    found = feed_links(body, url="http://e.com/rss", content_type="application/xml")
    assert found.links == ()
    assert found.problem is not None and found.problem.startswith("refused feed")
    assert "TOP-SECRET" not in found.problem


def test_feed_links_reports_a_malformed_feed() -> None:
    found = feed_links(b"<html><body>down</body></html>", url="http://e.com/f", content_type=None)
    assert found.links == ()
    assert found.problem and found.problem.startswith("malformed feed")


def test_sitemap_links_gzip() -> None:
    body = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://e.com/a</loc><lastmod>2025-11-20T08:00:00Z</lastmod><news:news>
<news:publication_date>2025-11-21</news:publication_date></news:news></url>
<url><loc>http://e.com/b</loc></url>
</urlset>"""
    found = sitemap_links(gzip.compress(body))
    assert found.type == "urlset"
    assert [link.url for link in found.links] == ["http://e.com/a", "http://e.com/b"]
    assert found.links[0].published == "2025-11-21"
    assert found.links[0].lastmod == "2025-11-20T08:00:00+00:00"
    assert found.links[1].lastmod is None


def test_sitemap_with_entity_declarations_is_refused_unread(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://e.com/a&xxe;</loc></url>
</urlset>""".encode()
    found = sitemap_links(gzip.compress(body))
    assert (found.type, found.links) == (None, ())
    assert found.problem is not None and found.problem.startswith("refused sitemap")
    assert "TOP-SECRET" not in found.problem


def test_sitemap_links_index() -> None:
    body = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://e.com/s1.xml</loc></sitemap></sitemapindex>"""
    found = sitemap_links(body)
    assert (found.type, [link.url for link in found.links]) == (
        "sitemapindex",
        ["http://e.com/s1.xml"],
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-21T09:15:00+01:00", "2025-11-21T09:15:00+01:00"),
        ("2025-11-21T08:00:00Z", "2025-11-21T08:00:00+00:00"),
        ("yesterday", None),
        (None, None),
    ],
)
def test_iso_hint(text: str | None, expected: str | None) -> None:
    assert iso_hint(text) == expected


def test_section_links_skip_chrome_and_non_articles() -> None:
    body = b"""<html><body><header><a href="/h.html">h</a></header>
<nav><a href="/n.html">n</a></nav><main><a href="/2025/a.html#x">a</a>
<a href="/2025/a.html">again</a><a href="/tag/x/">t</a>
<a href="/authors/jo">au</a><a href="/about/">ab</a><a href="/">home</a><a href="/rss.xml">r</a>
<a href="mailto:x@e.com">m</a><a href="http://other.example/b.html">off</a>
<a href="/news/">section</a></main><footer><a href="/f.html">f</a></footer></body></html>"""
    response = HtmlResponse("http://e.com/news/", body=body)
    assert section_links(response) == ("http://e.com/2025/a.html", "http://other.example/b.html")


def test_policy_order_offsite_filtered_seen_capped() -> None:
    source = Source(
        name="s", pages=("http://e.com/news/",), allow=("/20",), deny=("/video/",), max_articles=1
    )
    policy = ArticlePolicy(source, seen=frozenset({"http://e.com/2025/seen.html"}))
    verdicts = [
        policy.consider(url)
        for url in (
            "http://other.com/2025/a.html",
            "http://e.com/2025/video/x.html",
            "http://e.com/opinion/x.html",
            "http://e.com/2025/seen.html?utm_source=x",
            "http://e.com/2025/first.html",
            "http://e.com/2025/second.html",
        )
    ]
    assert [v.skip if v else "dup" for v in verdicts] == [
        "offsite",
        "filtered",
        "filtered",
        "seen",
        None,
        "capped",
    ]
    assert policy.consider("http://E.com/2025/first.html#c", published="2025-01-01") is None
    assert policy.published("http://e.com/2025/first.html") == "2025-01-01"
    assert policy.scheduled == 1


def test_warc_record_renames_headers_that_no_longer_describe_the_payload() -> None:
    body = b"<html>decoded</html>"
    item = FetchedResponse(
        source="s",
        kind="article",
        url="http://e.com/new",
        requested_url="http://e.com/old",
        status=200,
        headers=(
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "12"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ),
        body=body,
        decoded=True,
        fetched_at=datetime(2025, 11, 21, 8, 30, 5, tzinfo=UTC),
        published="2025-11-21T08:00:00+00:00",
    )
    stream = BytesIO()
    writer = WARCWriter(stream, gzip=True)
    writer.write_record(warc_response_record(writer, item))
    stream.seek(0)
    record = next(iter(ArchiveIterator(stream)))
    headers = record.rec_headers
    assert headers.get_header("WARC-Target-URI") == "http://e.com/new"
    assert headers.get_header("WARC-Date") == "2025-11-21T08:30:05Z"
    assert headers.get_header("WARC-Wiredupe-Requested-URI") == "http://e.com/old"
    assert headers.get_header("WARC-Wiredupe-Published") == "2025-11-21T08:00:00+00:00"
    assert record.http_headers.headers == [
        ("Content-Type", "text/html"),
        ("X-Crawler-Content-Encoding", "gzip"),
        ("X-Crawler-Content-Length", "12"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Content-Length", str(len(body))),
    ]
    assert record.content_stream().read() == body


def test_crawl_command_and_env(tmp_path: Path) -> None:
    argv = crawl_command(
        sources_file=tmp_path / "s.toml",
        source="alpha",
        out_dir=tmp_path / "out",
        seen_file=tmp_path / "seen.txt",
        settings={"DOWNLOAD_DELAY": "0"},
    )
    assert argv[:5] == [sys.executable, "-m", "scrapy", "crawl", "wire"]
    assert argv[5:] == [
        "-a", f"sources_file={tmp_path / 's.toml'}",
        "-a", "source=alpha",
        "-a", f"out_dir={tmp_path / 'out'}",
        "-a", f"seen_file={tmp_path / 'seen.txt'}",
        "-s", "DOWNLOAD_DELAY=0",
    ]  # fmt: skip
    env = crawl_env({"PATH": "/bin"})
    assert env == {"PATH": "/bin", "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    outputs = crawl_outputs(tmp_path, "alpha")
    assert (outputs.warc.name, outputs.fetch_log.name, outputs.stats.name) == (
        "alpha.warc.gz",
        "alpha.fetchlog.jsonl",
        "alpha.stats.json",
    )


def test_crawler_imports_nothing_else_of_ours() -> None:
    offenders = []
    for path in CRAWLER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}" for name in names if name.split(".")[0] in OURS - {"crawler"}
            ]
    assert offenders == [], "crawler/ must import nothing else of wiredupe"


def test_the_fetch_log_reads_back_and_says_which_failures_last(tmp_path: Path) -> None:
    from crawler.fetchlog import read_fetch_log

    when = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)
    events = [
        FetchEvent(
            source="s",
            kind="article",
            url=f"https://a.example/{outcome}-{status}",
            outcome=outcome,
            reason="why",
            time=when,
            status=status,
        )
        for outcome, status in (
            ("not_html", 200),
            ("http_error", 410),
            ("http_error", 404),
            ("http_error", 503),
            ("timeout", None),
            ("redirects", None),
        )
    ]
    log = tmp_path / "s.fetchlog.jsonl"
    lines = [json.dumps(e.to_json()) for e in events]
    # A crawl killed mid-write leaves half a line; a foreign line is not an event.
    lines[2:2] = ['{"url": "https://a.example/x", "kind": "ar', '{"kind": "video"}']
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems: list[str] = []
    read = list(read_fetch_log(log, problems.append))
    assert read == events
    assert [p.split(": ")[0] for p in problems] == [f"{log}:3", f"{log}:4"]
    assert [e.lasting for e in read] == [True, True, False, False, False, True]
