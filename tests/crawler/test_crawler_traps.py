"""Two nights of the trap site (``delta``), and Crawl-delay on the paced site (``epsilon``).

Each trap of ``tests/fixtures/crawl_web/delta`` must end as its own fetch-log
outcome with a reason, never as an archived article; the server's hit counter
says what was requested, how often, conditionally or not, and when.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
from conftest import TRAP_LIMITS, TrapNights
from crawler_harness import Crawl
from scrapy.http import HtmlResponse

from demo.server import DemoWeb, Hit

NEWS = "/news/2025/11/"
# Every real article of delta, by the path it is archived under.
REAL = {
    f"{NEWS}delta-budget.html",  # feed + RDF + sitemap + section page, tracking params each time
    f"{NEWS}delta-harbour.html",  # relative links in the feed and the section page, no date
    f"{NEWS}delta-cafe.html",  # windows-1252, charset only in <meta>
    f"{NEWS}delta-zurich.html",  # ISO-8859-1, charset only in <meta http-equiv>
    f"{NEWS}delta-broken-markup.html",  # unclosed tags
    f"{NEWS}delta-ferry.html",  # reached through delta-moved.html and three redirects
    f"{NEWS}delta-tide.html",  # RDF feed and sitemap
    f"{NEWS}delta-nodate.html",  # sitemap entry without lastmod, and the section page
}
DISCOVERY = ("/rss.xml", "/rdf.xml", "/hostile-lol.xml", "/hostile-xxe.xml", "/sitemap.xml")
ATTEMPTS = 1 + int(TRAP_LIMITS["RETRY_TIMES"])
# path -> (outcome, status, what the reason must say)
TRAPS = {
    "delta-gone.html": ("http_error", 410, "HTTP 410"),
    "delta-missing.html": ("http_error", 404, "HTTP 404"),
    "delta-crash.html": ("http_error", 500, f"HTTP 500, gave up after {ATTEMPTS} attempts"),
    "delta-busy.html": ("http_error", 503, f"HTTP 503, gave up after {ATTEMPTS} attempts"),
    "delta-slow.html": (
        "timeout",
        None,
        f"DOWNLOAD_TIMEOUT=1.5 s; gave up after {ATTEMPTS} attempts",
    ),
    "delta-huge.html": ("too_large", None, "over DOWNLOAD_MAXSIZE=100000 bytes"),
    "delta-blank.html": ("empty", 200, "empty body (0 bytes)"),
    "delta-annual-report.pdf": ("not_html", 200, "a PDF document"),
    "delta-chart.html": ("not_html", 200, "a PNG image"),
    "delta-loop.html": ("redirects", None, "redirect loop"),
    "delta-relay.html": ("redirects", None, "more than REDIRECT_MAX_TIMES=3 redirects"),
}


def _line(crawl: Crawl, web: DemoWeb, path: str) -> dict[str, object]:
    return crawl.line(web.url("delta", path))


def _night1_hits(web: DemoWeb, nights: TrapNights, path: str) -> list[Hit]:
    return [hit for hit in web.hits("delta", path) if hit.time < nights.night2_started]


def _night2_hits(web: DemoWeb, nights: TrapNights, path: str) -> list[Hit]:
    return [hit for hit in web.hits("delta", path) if hit.time >= nights.night2_started]


@pytest.mark.parametrize("night", ["night1", "night2", "epsilon"])
def test_trap_crawls_run_cleanly(trap_nights: TrapNights, night: str) -> None:
    crawl: Crawl = getattr(trap_nights, night)
    assert crawl.returncode == 0, f"crawl {crawl.name} failed; its stderr:\n{crawl.stderr}"
    assert "Traceback" not in crawl.stderr, crawl.stderr
    assert "Warning" not in crawl.stderr, f"deprecated Scrapy API in use? {crawl.stderr}"
    logged = Counter(line["url"] for line in crawl.log)
    assert [url for url, n in logged.items() if n > 1] == [], "a URL was logged twice"
    archived = Counter(crawl.targets())
    assert [url for url, n in archived.items() if n > 1] == [], "a URL was archived twice"
    assert crawl.stats["finish_reason"] == "finished"


def test_night1_archives_every_real_article_once_and_no_trap(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    crawl = trap_nights.night1
    articles = {
        r.target: r.status for r in crawl.responses if r.warc["WARC-Wiredupe-Kind"] == "article"
    }
    good = sorted(url for url, status in articles.items() if status < 400)
    assert good == sorted(crawl_web.url("delta", path) for path in REAL)
    for path in REAL:
        hits = _night1_hits(crawl_web, trap_nights, path)
        assert len(hits) == 1, f"{path} was requested {len(hits)} times on night 1"
    # Besides the real articles, only error pages are archived, with their status.
    assert {url: status for url, status in articles.items() if status >= 400} == {
        crawl_web.url("delta", NEWS + name): status
        for name, (outcome, status, _) in TRAPS.items()
        if outcome == "http_error"
    }


@pytest.mark.parametrize("name", sorted(TRAPS))
def test_each_trap_has_its_outcome_and_reason_every_night(
    trap_nights: TrapNights, crawl_web: DemoWeb, name: str
) -> None:
    outcome, status, reason = TRAPS[name]
    for crawl in (trap_nights.night1, trap_nights.night2):
        line = _line(crawl, crawl_web, NEWS + name)
        assert (line["outcome"], line["status"]) == (outcome, status), line
        assert reason in str(line["reason"]), line
        if outcome != "http_error":
            assert crawl_web.url("delta", NEWS + name) not in crawl.targets(), (
                f"{name} ({outcome}) must not be archived: extraction would see it"
            )


@pytest.mark.parametrize("name", ["delta-busy.html", "delta-crash.html", "delta-slow.html"])
def test_transient_failures_are_retried_with_backoff(
    trap_nights: TrapNights, crawl_web: DemoWeb, name: str
) -> None:
    hits = _night1_hits(crawl_web, trap_nights, NEWS + name)
    assert len(hits) == ATTEMPTS, f"{name}: {len(hits)} requests, expected 1 + RETRY_TIMES"
    gaps = [later.time - earlier.time for earlier, later in pairwise(hits)]
    base = float(TRAP_LIMITS["RETRY_BACKOFF_BASE"])
    # Each retry waits base * 2**(n-1) before it goes out (plus, for a timeout, the timeout).
    for retry, gap in enumerate(gaps, start=1):
        assert gap >= base * 2 ** (retry - 1), f"{name}: retry {retry} came {gap:.3f} s later"


def test_final_errors_are_not_retried(trap_nights: TrapNights, crawl_web: DemoWeb) -> None:
    for name in ("delta-gone.html", "delta-missing.html"):
        assert len(_night1_hits(crawl_web, trap_nights, NEWS + name)) == 1, f"{name} retried"


def test_legacy_encodings_are_archived_as_sent_and_decode_by_their_meta(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    crawl = trap_nights.night1
    expected = {
        "delta-cafe.html": ("\u201cthe euro\u2019s rise\u201d", "\u20ac4.50"),
        "delta-zurich.html": ("Z\u00fcrich d\u00e9l\u00e9gation", "\u00e9cluse"),
    }
    for name, phrases in expected.items():
        record = crawl.response(crawl_web.url("delta", NEWS + name))
        assert record.http["content-type"] == "text/html", "the charset is only in <meta>"
        with pytest.raises(UnicodeDecodeError):
            record.body.decode("utf-8")  # the bytes are stored as sent, not re-encoded
        text = HtmlResponse(record.target, body=record.body).text
        for phrase in phrases:
            assert phrase in text, f"{name} does not decode to {phrase!r} by its <meta> charset"
    broken = crawl.response(crawl_web.url("delta", NEWS + "delta-broken-markup.html"))
    assert b"best season since 2015" in broken.body and b"</html>" not in broken.body


def test_redirect_chain_is_archived_once_under_its_final_url(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    crawl = trap_nights.night1
    moved, ferry = (
        crawl_web.url("delta", NEWS + n) for n in ("delta-moved.html", "delta-ferry.html")
    )
    assert moved not in crawl.targets()
    record = crawl.response(ferry)
    assert record.warc["WARC-Wiredupe-Requested-URI"] == moved
    line = crawl.line(moved)
    assert (line["outcome"], line["final_url"]) == ("fetched", ferry)


def test_feeds_without_dates_rdf_and_relative_links(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    crawl = trap_nights.night1
    tide = crawl.response(crawl_web.url("delta", NEWS + "delta-tide.html"))
    assert tide.warc["WARC-Wiredupe-Published"] == "2025-11-21T03:45:00+00:00", "RDF dc:date"
    harbour = crawl.response(crawl_web.url("delta", NEWS + "delta-harbour.html"))
    assert "WARC-Wiredupe-Published" not in harbour.warc, "the feed item had no date"
    budget = crawl.response(crawl_web.url("delta", NEWS + "delta-budget.html"))
    assert budget.warc["WARC-Wiredupe-Published"] == "2025-11-21T08:00:00+00:00"


def test_hostile_feeds_are_refused_without_expanding_anything(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    for crawl in (trap_nights.night1, trap_nights.night2):
        for path in ("/hostile-lol.xml", "/hostile-xxe.xml"):
            line = _line(crawl, crawl_web, path)
            assert "refused feed" in str(line["reason"]) and "entities" in str(line["reason"])
        everything = crawl.stderr + "".join(str(line) for line in crawl.log)
        assert "root:" not in everything, "/etc/passwd was read"
        assert "lollol" not in everything, "an entity was expanded"
    assert _night1_hits(crawl_web, trap_nights, "/hostile-lol.xml")[0].status == 200
    assert crawl_web.hits("delta", NEWS + "delta-bait.html") == [], "a hostile feed item was read"
    assert _line(trap_nights.night1, crawl_web, "/hostile-lol.xml")["outcome"] == "error"


def test_sitemap_entries_older_than_the_window_are_filtered(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    line = _line(trap_nights.night1, crawl_web, NEWS + "delta-archive.html")
    assert line["outcome"] == "filtered"
    assert "lastmod" in str(line["reason"]) and "7-day window" in str(line["reason"])
    assert crawl_web.hits("delta", NEWS + "delta-archive.html") == []


def test_night1_stats(trap_nights: TrapNights) -> None:
    stats = trap_nights.night1.stats
    assert stats["fetched_by_kind"] == {"article": 8, "feed": 2, "section": 1, "sitemap": 1}
    assert stats["not_modified"] == 0
    assert stats["skipped"] == {"filtered": 1}
    assert stats["errors_by_outcome"] == {
        "http_error": 4,
        "not_html": 2,
        "empty": 1,
        "too_large": 1,
        "timeout": 1,
        "redirects": 2,
        "error": 2,  # the hostile feeds
    }
    assert stats["errors"] == 13


def test_night2_revalidates_feeds_and_sitemaps_with_304(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    crawl = trap_nights.night2
    for path in DISCOVERY:
        (hit,) = _night2_hits(crawl_web, trap_nights, path)
        assert (hit.conditional, hit.status) == (True, 304), f"{path} was not revalidated"
        line = _line(crawl, crawl_web, path)
        assert (line["outcome"], line["status"]) == ("not_modified", 304)
        assert crawl_web.url("delta", path) not in crawl.targets(), "304: not archived again"
    assert crawl.stats["not_modified"] == len(DISCOVERY)
    # Section pages and robots.txt are never cached: asked for unconditionally.
    for path in ("/latest/", "/robots.txt"):
        assert [hit.conditional for hit in _night2_hits(crawl_web, trap_nights, path)] == [False]


def test_night2_requests_no_stored_article_but_retries_the_failed_ones(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    crawl = trap_nights.night2
    assert len(trap_nights.seen) == len(REAL)
    for path in REAL:
        assert _night2_hits(crawl_web, trap_nights, path) == [], f"{path} fetched again"
    moved = _line(crawl, crawl_web, NEWS + "delta-moved.html")
    assert moved["outcome"] == "seen" and "redirected to" in str(moved["reason"])
    for name in ("delta-busy.html", "delta-slow.html"):
        assert len(_night2_hits(crawl_web, trap_nights, NEWS + name)) == ATTEMPTS
    assert crawl.stats["skipped"] == {"seen": len(REAL), "filtered": 1}
    assert crawl.stats["fetched_by_kind"] == {"section": 1}


def test_robots_crawl_delay_is_honoured_despite_autothrottle(
    trap_nights: TrapNights, crawl_web: DemoWeb
) -> None:
    crawl = trap_nights.epsilon
    assert crawl.stats["fetched_by_kind"] == {"article": 4, "feed": 1}
    hits = crawl_web.hits("epsilon")
    assert len(hits) == 6  # robots.txt, the feed, four articles
    # epsilon/robots.txt says Crawl-delay: 0.5, while the test settings let AutoThrottle
    # go down to 0.1 s and allow 8 requests at once; allow 50 ms of clock noise.
    gaps = [later.time - earlier.time for earlier, later in pairwise(hits)]
    assert min(gaps) >= 0.45, f"requests to epsilon came {min(gaps):.3f} s apart"
    assert "Crawl-delay: 0.5 s; honoured" in crawl.stderr
