"""Generate the bundled offline demo web (``demo/sites/``) and its labels.

The inputs live under ``demo/sites/_source/`` (the server skips names starting
with ``_``, so they are never served):

- ``stories.toml``: the stories and, for each, the copies that sites carry, with
  the syndication edits each copy makes (credit, cuts, substitutions, inserted
  "ADVERTISEMENT"/"Read more" lines, merged or split paragraphs);
- ``seeds/``: the five real reports of the OpenAI-Foxconn deal (21 Nov 2025);
- ``templates/<site>.html``: one article template per site. ``spacewar`` is
  written by hand after spacewar.com/spacedaily.com pages; the other five are
  real article pages from the Fundus project's parser test data (MIT licence,
  see ``demo/LICENSE-fundus``): BBC (harbourpost), The Citizen (highveld), CBC
  News (northerntimes), Voice of America (globalvoice) and Nine News
  (southerncross), with scripts, styles, tracking, meta tags, images and the
  original article text removed, and markers such as ``{{BODY}}`` put in place.

The outputs are the site folders, ``demo/sources.toml`` and ``demo/truth.json``.
Run ``python demo/build_sites.py`` after changing an input; the output is
deterministic, so a re-run without changes rewrites identical files.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parent
SITES_DIR = DEMO / "sites"
SOURCE = SITES_DIR / "_source"

# Inserted lines that are not part of the story's text (truth "text" leaves them out).
AD_LINE = "ADVERTISEMENT"
READ_MORE = "Read more: "


@dataclass(frozen=True)
class Site:
    """How one demo site lays out its URLs, dates, feed and sitemap."""

    name: str
    brand: str
    tz_hours: int  # local time zone of the newsroom, for visible dates and RSS dates
    feed_path: str
    feed_format: str  # "rss" or "atom"
    sitemap_kind: str  # "plain" or "news-index"
    section_path: str
    robots_dir: str  # the Disallow: path; the section page links one page under it
    json_ld: bool = False  # whether article pages carry a schema.org NewsArticle blob


SITES = {
    s.name: s
    for s in [
        Site("spacewar", "Space War", 0, "/rss.xml", "rss", "plain", "/news/", "/members/"),
        Site(
            "harbourpost",
            "Harbour Post",
            0,
            "/feeds/news.atom",
            "atom",
            "news-index",
            "/news/",
            "/premium/",
            json_ld=True,
        ),
        Site(
            "highveld",
            "Highveld Citizen",
            2,
            "/feed.xml",
            "rss",
            "news-index",
            "/news/south-africa/",
            "/subscriber-only/",
        ),
        Site(
            "northerntimes",
            "Northern Times",
            -5,
            "/rss/topstories.xml",
            "rss",
            "plain",
            "/news/world/",
            "/private/",
        ),
        Site(
            "globalvoice",
            "Global Voice",
            -5,
            "/api/atom.xml",
            "atom",
            "news-index",
            "/news/",
            "/insider/",
            json_ld=True,
        ),
        Site(
            "southerncross",
            "Southern Cross News",
            11,
            "/rss.xml",
            "rss",
            "plain",
            "/world-news/",
            "/plus/",
        ),
    ]
}


@dataclass
class Article:
    """One page of one story on one site."""

    site: str
    story: str
    title: str
    published: datetime
    author: str
    section: str
    blocks: list[tuple[str, Any]]
    path: str = ""
    seed: str | None = None
    place: str = ""
    agency: str = ""
    lead: str = ""
    extra_after_body: str = ""
    flags: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        """The true article text: headings, paragraphs, list items, table rows."""
        lines: list[str] = []
        for kind, value in self.blocks:
            if kind in {"p", "h2", "quote"}:
                lines.append(value)
            elif kind == "ul":
                lines.extend(value)
            elif kind == "table":
                lines.extend(" ".join(row) for row in value)
        return "\n".join(lines)

    @property
    def first_sentence(self) -> str:
        """The first sentence of the first paragraph, without its dateline or credit."""
        first = next(v for k, v in self.blocks if k == "p")
        first = first.removeprefix(self.lead).strip()
        if self.seed == "003":
            first = first.split(" – ", 1)[1]
        match = re.match(r"(.+?[a-z0-9%”\")][.!?])\s+[A-Z“\"]", first)
        return (match.group(1) if match else first)[:160]


# --------------------------------------------------------------------- helpers


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower().replace("'", "")).strip("-")[:70].strip("-")


def _num(key: str, digits: int) -> str:
    value = int(hashlib.sha256(key.encode()).hexdigest(), 16)
    return str(value % 10**digits).zfill(digits)


def _local(site: Site, when: datetime) -> datetime:
    return when.astimezone(timezone(timedelta(hours=site.tz_hours)))


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S") + (
        "Z"
        if when.utcoffset() == timedelta(0)
        else when.strftime("%z")[:3] + ":" + when.strftime("%z")[3:]
    )


def _paragraphs(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", p).strip() for p in text.strip().split("\n\n") if p.strip()]


def _article_path(site: Site, art: Article) -> str:
    slug = _slug(art.title)
    key = f"{art.story}/{site.name}"
    section = _slug(art.section) or "news"
    if site.name == "spacewar":
        words = re.sub(r"[^A-Za-z0-9 ]+", "", art.title).split()
        return "/reports/" + "_".join(words) + "_999.html"
    if site.name == "harbourpost":
        return f"/news/{section}-{_num(key, 8)}"
    if site.name == "highveld":
        return f"/news/{section}/{slug}/"
    if site.name == "northerntimes":
        return f"/news/{section}/{slug}-1.{_num(key, 7)}"
    if site.name == "globalvoice":
        return f"/a/{slug}/{_num(key, 7)}.html"
    day = art.published.strftime("%Y%m%d")
    return f"/{section}/{slug}-{day}-p6{_num(key, 4)}.html"


# ---------------------------------------------------------------- seed parsing

_SEED_HEADINGS = {
    "Why the OpenAI-Foxconn Deal Matters",
    "A $1 Trillion Infrastructure Roadmap",
    "The Shift to “Made in the USA”",
    "Beyond Servers: The Robotics Frontier",
    "Meeting the Growing Demand for AI Compute",
    "Massive Investments in AI Infrastructure",
    "Strategic Significance",
}


def _seed_text(seed: str) -> str:
    return next((SOURCE / "seeds").glob(f"{seed}_*.txt")).read_text(encoding="utf-8")


def seed_article_lines(seed: str) -> list[str]:
    """Return the article lines of a seed report (004: before its sidebar)."""
    lines = [line.strip() for line in _seed_text(seed).splitlines()]
    if seed == "004":
        start = lines.index("Taipei (AFP) Nov 21, 2025") + 1
        lines = lines[start : lines.index("Related Links")]
    if seed in {"002", "003"}:
        lines = lines[1:]  # the first line is the headline
    if seed == "003":
        lines = lines[: lines.index("Leave a Reply")]  # the comment form is page chrome
    return [line for line in lines if line]


def seed_sidebar() -> tuple[list[str], list[list[str]]]:
    """Return (all headlines, headline groups) of the sidebar that follows seed 004."""
    lines = [line.strip() for line in _seed_text("004").splitlines() if line.strip()]
    featured = lines[lines.index("RELATED CONTENT") + 3]
    start = lines.index("NASA twin spacecraft depart Earth orbit to begin Mars mission")
    end = len(lines) - 1 - lines[::-1].index("Subscribe Free To Our Daily Newsletters")
    groups: list[list[str]] = []
    for line in lines[start:end]:
        if line == "TECH SPACE":
            groups.append([])
        elif groups:
            groups[-1].append(line)
        else:
            groups.append([line])
    return [featured] + [h for g in groups for h in g], groups


def _seed_blocks(seed: str) -> list[tuple[str, Any]]:
    blocks: list[tuple[str, Any]] = []
    for line in seed_article_lines(seed):
        if line in _SEED_HEADINGS:
            blocks.append(("h2", line))
        elif line.startswith("- "):
            if not blocks or blocks[-1][0] != "ul":
                blocks.append(("ul", []))
            blocks[-1][1].append(line[2:])
        elif line.startswith("| "):
            if not blocks or blocks[-1][0] != "table":
                blocks.append(("table", []))
            blocks[-1][1].append([c.strip() for c in line.strip("| ").split("|")])
        elif line.startswith("“A formal partnership") and seed == "002":
            blocks.append(("quote", line))
        elif line == AD_LINE:
            blocks.append(("ad", line))
        else:
            blocks.append(("p", line))
    if seed == "001":
        # The seed's "ADVERTISEMENT" sits before the lead; on the page it is an ad
        # slot inside the body, after the first paragraph.
        blocks.remove(("ad", AD_LINE))
        blocks.insert(1, ("ad", AD_LINE))
    if seed == "003":
        # The seed runs the dateline into the first word; the page separates them.
        kind, first = blocks[0]
        blocks[0] = (kind, first.replace("2025Foxconn", "2025 – Foxconn"))
    return blocks


# ----------------------------------------------------------------- copy edits


def _edited_blocks(text: str, copy: dict[str, Any]) -> list[tuple[str, Any]]:
    paras = _paragraphs(text)
    for old, new in copy.get("subs", []):
        hits = [i for i, p in enumerate(paras) if old in p]
        if not hits:
            raise ValueError(f"substitution {old!r} matches nothing in {copy['title']!r}")
        paras = [p.replace(old, new) for p in paras]
    if copy.get("cut"):
        paras = paras[: -copy["cut"]]
    for index in sorted(copy.get("merge", []), reverse=True):
        paras[index : index + 2] = [paras[index] + " " + paras[index + 1]]
    for start in copy.get("split", []):
        i = next(i for i, p in enumerate(paras) if start in p and not p.startswith(start))
        head, tail = paras[i].split(start, 1)
        paras[i : i + 1] = [head.strip(), start + tail]
    if copy.get("lead"):
        paras[0] = f"{copy['lead']} {paras[0]}"
    blocks: list[tuple[str, Any]] = [("p", p) for p in paras]
    for index, line in sorted(copy.get("insert", []), reverse=True):
        kind = "ad" if line == AD_LINE else "readmore"
        blocks.insert(index, (kind, line))
    return blocks


def load_articles() -> list[Article]:
    """Read ``stories.toml`` and return every page, with its path assigned."""
    data = tomllib.loads((SOURCE / "stories.toml").read_text(encoding="utf-8"))
    articles: list[Article] = []
    for story in data["story"]:
        for copy in story["copy"]:
            seed = copy.get("seed")
            blocks = _seed_blocks(seed) if seed else _edited_blocks(story["text"], copy)
            art = Article(
                site=copy["site"],
                story=story["id"],
                title=copy["title"],
                published=datetime.fromisoformat(copy["published"]),
                author=copy["author"],
                section=copy["section"],
                blocks=blocks,
                seed=seed,
                place=copy.get("place", ""),
                agency=copy.get("agency", ""),
                lead=copy.get("lead", ""),
            )
            if seed == "003":
                art.extra_after_body = (
                    '<div id="respond" class="comment-respond"><h3 class="comment-reply-title">'
                    'Leave a Reply</h3><p class="comment-notes">Your email address will not be'
                    " published. Required fields are marked *</p></div>"
                )
            art.path = _article_path(SITES[art.site], art)
            articles.append(art)
    return articles


# ------------------------------------------------------------------- rendering


def _render_blocks(site: Site, art: Article, by_title: dict[str, Article]) -> str:
    pclass = ' class="sc-eb7bd5f6-0 fezwLZ"' if site.name == "harbourpost" else ""
    out: list[str] = []
    for kind, value in art.blocks:
        if kind == "p":
            out.append(f"<p{pclass}>{html.escape(value, quote=False)}</p>")
        elif kind == "h2":
            out.append(f"<h2>{html.escape(value)}</h2>")
        elif kind == "quote":
            out.append(f"<blockquote><p>{html.escape(value)}</p></blockquote>")
        elif kind == "ul":
            items = "".join(f"<li>{html.escape(v)}</li>" for v in value)
            out.append(f"<ul>{items}</ul>")
        elif kind == "table":
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in value
            )
            out.append(f'<table class="deal-table"><tbody>{rows}</tbody></table>')
        elif kind == "ad":
            out.append(f'<p class="ad-label">{AD_LINE}</p>')
        elif kind == "readmore":
            headline = value.removeprefix(READ_MORE)
            target = by_title.get(headline)
            if target is None:
                href = "https://www.spacedaily.com/reports/" + "_".join(headline.split()) + ".html"
            elif target.site == art.site:
                href = "__BASE__" + target.path
            else:
                href = f"__SITE_{target.site}__" + target.path
            out.append(
                f'<p><strong>Read more: <a href="{href}">{html.escape(headline)}</a></strong></p>'
            )
    return "\n".join(out)


def _head(site: Site, art: Article, *, description: str) -> str:
    when = _iso(_local(site, art.published))
    esc = html.escape
    parts = [
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(art.title)} | {esc(site.brand)}</title>",
        f'<meta name="description" content="{esc(description)}">',
        f'<link rel="canonical" href="__BASE__{art.path}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{esc(art.title)}">',
        f'<meta property="og:url" content="__BASE__{art.path}">',
        f'<meta property="og:site_name" content="{esc(site.brand)}">',
        f'<meta property="article:published_time" content="{when}">',
        f'<meta property="article:section" content="{esc(art.section)}">',
        f'<meta name="author" content="{esc(art.author)}">',
    ]
    if site.json_ld:
        blob = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": art.title,
            "datePublished": when,
            "author": {"@type": "Person", "name": art.author},
            "publisher": {"@type": "Organization", "name": site.brand},
            "mainEntityOfPage": "__BASE__" + art.path,
        }
        parts.append(
            '<script type="application/ld+json">'
            + json.dumps(blob, ensure_ascii=False).replace("</", "<\\/")
            + "</script>"
        )
    return "\n".join(parts)


def _sidebar_html() -> str:
    _, groups = seed_sidebar()
    out = ['<div class="rcgroup"><span class="BHL">TECH SPACE</span></div>']
    for group in groups:
        links = "<br>\n".join(
            '<a href="https://www.spacedaily.com/reports/'
            + re.sub(r"[^A-Za-z0-9]+", "_", h).strip("_")
            + f'_999.html">{html.escape(h)}</a>'
            for h in group
        )
        out.append(f'<div class="rcgroup"><span class="BHL">TECH SPACE</span><br>\n{links}</div>')
    return "\n".join(out)


def _display(site: Site, when: datetime) -> dict[str, str]:
    local = _local(site, when)
    hour12 = local.strftime("%I").lstrip("0")
    if site.name == "northerntimes":
        shown = local.strftime("%b %d, %Y ") + f"{hour12}:{local:%M} {local:%p} ET"
    elif site.name == "globalvoice":
        shown = local.strftime("%B ") + f"{local.day}, {local.year} {hour12}:{local:%M} {local:%p}"
    elif site.name == "southerncross":
        shown = f"{local:%B} {local.day}, {local.year} - {hour12}.{local:%M}{local:%p}".lower()
        shown = shown[0].upper() + shown[1:]
    else:
        shown = f"{local.day} {local:%B %Y}"
    return {
        "{{DATE_DISPLAY}}": shown,
        "{{TIME_DISPLAY}}": f"{local:%I:%M} {local:%p}".lower(),
        "{{DATE_ISO}}": _iso(local),
    }


def render_page(
    site: Site, art: Article, by_title: dict[str, Article], *, body: str | None = None
) -> str:
    """Fill the site's template with one article (or with ``body`` for a non-article)."""
    template = (SOURCE / "templates" / f"{site.name}.html").read_text(encoding="utf-8")
    body_html = body if body is not None else _render_blocks(site, art, by_title)
    body_html += art.extra_after_body
    description = art.first_sentence if body is None else art.title
    words = len(art.text.split())
    fills = {
        "{{HEAD}}": _head(site, art, description=description),
        "{{TITLE}}": html.escape(art.title),
        "{{AUTHOR}}": html.escape(art.author),
        "{{SECTION}}": html.escape(art.section),
        "{{URL}}": "__BASE__" + art.path,
        "{{READ_TIME}}": f"{max(1, round(words / 200))} minute read",
        "{{DATELINE}}": f"{art.place} ({art.agency}) {art.published:%b} {art.published.day}, "
        f"{art.published.year}",
        "{{SIDEBAR}}": _sidebar_html() if site.name == "spacewar" else "",
        **_display(site, art.published),
    }
    page = template
    for marker, value in fills.items():
        page = page.replace(marker, value)
    page = page.replace("{{BODY}}", body_html)
    leftover = re.findall(r"\{\{[A-Z_]+\}\}", page)
    if leftover:
        raise ValueError(f"template {site.name} has unfilled markers {leftover}")
    return page


# ---------------------------------------------------- feeds, sitemaps, sections


def _rss(site: Site, items: list[tuple[str, str, datetime, str]]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{html.escape(site.brand)}</title>",
        "<link>__BASE__/</link>",
        f'<atom:link href="__BASE__{site.feed_path}" rel="self" type="application/rss+xml"/>',
        f"<description>Latest news from {html.escape(site.brand)}</description>",
        "<language>en</language>",
    ]
    for url, title, when, summary in items:
        out += [
            "<item>",
            f"<title>{html.escape(title)}</title>",
            f"<link>{html.escape(url)}</link>",
            f'<guid isPermaLink="false">{_num(url, 9)}</guid>',
            f"<pubDate>{format_datetime(_local(site, when))}</pubDate>",
            f"<description>{html.escape(summary)}</description>",
            "</item>",
        ]
    out += ["</channel>", "</rss>", ""]
    return "\n".join(out)


def _atom(site: Site, items: list[tuple[str, str, datetime, str]]) -> str:
    newest = max(when for _, _, when, _ in items)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f"<title>{html.escape(site.brand)} - Latest</title>",
        f"<id>__BASE__{site.feed_path}</id>",
        f'<link rel="self" href="__BASE__{site.feed_path}"/>',
        '<link rel="alternate" href="__BASE__/"/>',
        f"<updated>{_iso(newest)}</updated>",
    ]
    for url, title, when, summary in items:
        out += [
            "<entry>",
            f"<title>{html.escape(title)}</title>",
            f'<link rel="alternate" type="text/html" href="{html.escape(url)}"/>',
            f"<id>tag:{site.name}.example,2025:{_num(url, 9)}</id>",
            f"<published>{_iso(when)}</published>",
            f"<updated>{_iso(when)}</updated>",
            f"<summary>{html.escape(summary)}</summary>",
            "</entry>",
        ]
    out += ["</feed>", ""]
    return "\n".join(out)


def _plain_sitemap(arts: list[Article]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for art in arts:
        out.append(
            f"<url><loc>__BASE__{art.path}</loc><lastmod>{_iso(art.published)}</lastmod>"
            "<changefreq>never</changefreq></url>"
        )
    out += ["</urlset>", ""]
    return "\n".join(out)


def _news_sitemap(site: Site, arts: list[Article]) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
    ]
    for art in arts:
        out += [
            "<url>",
            f"<loc>__BASE__{art.path}</loc>",
            "<news:news>",
            "<news:publication>"
            f"<news:name>{html.escape(site.brand)}</news:name><news:language>en</news:language>"
            "</news:publication>",
            f"<news:publication_date>{_iso(art.published)}</news:publication_date>",
            f"<news:title>{html.escape(art.title)}</news:title>",
            "</news:news>",
            "</url>",
        ]
    out += ["</urlset>", ""]
    return "\n".join(out)


def _sitemap_index(children: list[str], lastmod: datetime) -> str:
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for child in children:
        out.append(
            f"<sitemap><loc>__BASE__{child}</loc><lastmod>{_iso(lastmod)}</lastmod></sitemap>"
        )
    out += ["</sitemapindex>", ""]
    return "\n".join(out)


def _section_page(site: Site, arts: list[Article], extra_links: list[tuple[str, str]]) -> str:
    esc = html.escape
    items = []
    for art in arts:
        summary = esc(art.first_sentence)
        shown = _display(site, art.published)["{{DATE_DISPLAY}}"]
        items.append(
            f'<li class="story-card"><a class="story-card__link" href="__BASE__{art.path}">'
            f"<h3>{esc(art.title)}</h3></a>"
            f'<time datetime="{_iso(art.published)}">{shown}'
            f'</time><p class="story-card__summary">{summary}</p>'
            f'<a class="story-card__author" href="__BASE__/author/{_slug(art.author)}/">'
            f"{esc(art.author)}</a></li>"
        )
    extras = "".join(
        f'<li class="story-card story-card--promo"><a href="{href}"><h3>{esc(label)}</h3></a></li>'
        for href, label in extra_links
    )
    sections = sorted({a.section for a in arts})
    nav = "".join(f'<li><a href="__BASE__/topic/{_slug(s)}/">{esc(s)}</a></li>' for s in sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Latest news | {esc(site.brand)}</title>
<link rel="canonical" href="__BASE__{site.section_path}">
<link rel="alternate" type="application/{site.feed_format}+xml" href="__BASE__{site.feed_path}">
</head>
<body class="section-page">
<header class="site-header"><a class="logo" href="__BASE__/">{esc(site.brand)}</a>
<nav class="main-nav"><ul>{nav}<li><a href="__BASE__/newsletters/">Newsletters</a></li></ul></nav>
</header>
<main>
<h1 class="section-title">Latest news</h1>
<ul class="story-list">
{chr(10).join(items)}
{extras}
</ul>
</main>
<aside class="sidebar"><h2>Follow us</h2>
<ul><li><a href="https://twitter.com/{site.name}news">{esc(site.brand)} on X</a></li>
<li><a href="https://www.facebook.com/{site.name}news">Facebook</a></li></ul>
</aside>
<footer class="site-footer"><p>&copy; 2025 {esc(site.brand)}. All rights reserved.</p>
<a href="__BASE__/privacy/">Privacy</a> <a href="__BASE__/terms/">Terms</a></footer>
</body>
</html>
"""


# ------------------------------------------------------------- the whole web

_ROBOTS_TEXT = (
    "This report is available to subscribers only. Subscribe to read the full analysis "
    "from our newsroom, including interviews with residents, officials and engineers "
    "about the causes of the crisis and what it will take to fix it."
)

# Boilerplate strings that each template's chrome shows and no article text contains.
BOILERPLATE = {
    "spacewar": [
        "Subscribe Free To Our Daily Newsletters",
        "The following news reports may link to other Space Media Network websites.",
        "Space Technology News - Applications and Research",
        "NASA backs dust tolerant wireless power links for Moon and Mars vehicles",
        "When outraged Filipinos turned to an AI-powered chatbot",
        "Copyright 1995-2024 - Space Media Network",
    ],
    "harbourpost": [
        "Skip to content",
        "Chippy facing constant struggle for survival",
        "The Bank of England cuts borrowing costs from 5.25% to 5%",
        "Your email address will not be published",
    ],
    "highveld": [
        "Fochville and Kokosi water crisis deepens",
        "Black Friday Deals 2025",
        "Jobs at The Citizen",
    ],
    "northerntimes": [
        "ABOUT THE AUTHOR",
        "CBC's Journalistic Standards and Practices",
        "Hamas chooses Oct. 7 attacks mastermind Yahya Sinwar as new leader",
        "files stories for the Northern Times world desk",
    ],
    "globalvoice": [
        "Link has been copied to clipboard",
        "Israel-Gaza war protests spread to more universities across US",
        "Wild horses to remain in North Dakota national park",
        "This image contains sensitive content",
    ],
    "southerncross": [
        "Supreme Court rejects Trump's push to toss $7.25 million verdict",
        "Sydney council ditches controversial beach parking meter plan",
        "Daily horoscope readings, what do your stars say?",
    ],
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def page_file(site_dir: Path, path: str) -> Path:
    """Return the file of ``site_dir`` that the demo server answers ``path`` with.

    A folder's page is its ``index.html``, and so is the page of a path whose last
    part has no file extension (the dot of ``/news/world/story-1.1234567`` is none).
    """
    target = site_dir / path.lstrip("/")
    if path.endswith("/") or "." not in path.rsplit("/", 1)[-1] or re.search(r"-1\.\d+$", path):
        target = target / "index.html"
    return target


def build(root: Path = SITES_DIR) -> dict[str, Any]:
    """Write every site folder under ``root`` and return the truth labels."""
    articles = load_articles()
    by_title = {a.title: a for a in articles}
    truth: dict[str, Any] = {
        "_comment": (
            "Generated by demo/build_sites.py. Templates: spacewar is hand-written after "
            "spacewar.com/spacedaily.com; the other sites use real article pages from the "
            "Fundus project's parser test data (MIT, demo/LICENSE-fundus), stripped of "
            "scripts and their own article. Seed texts are real reports (21 Nov 2025); all "
            "other stories are invented. 'text' is the true article body, without inserted "
            "'ADVERTISEMENT' and 'Read more:' lines; 'first_sentence' is a substring of it."
        ),
        "articles": [],
        "non_articles": [],
        "expected_origin": {},
        "seed_sidebar_headlines": seed_sidebar()[0],
        "boilerplate_snippets": BOILERPLATE,
    }
    routes: dict[str, list[str]] = {name: [] for name in SITES}
    for name, site in SITES.items():
        site_dir = root / name
        if site_dir.exists():
            shutil.rmtree(site_dir)
        arts = sorted((a for a in articles if a.site == name), key=lambda a: a.published)
        for art in arts:
            _write(page_file(site_dir, art.path), render_page(site, art, by_title))
        newest_first = arts[::-1]
        feed_arts = newest_first[:6]
        sitemap_arts = [a for a in arts if a not in newest_first[:2]]
        section_arts = [a for a in newest_first if a not in arts[:2]]
        feed_urls = {a.path: "__BASE__" + a.path for a in feed_arts}
        extra_feed: list[tuple[str, str, datetime, str]] = []
        section_extra: list[tuple[str, str]] = []

        # robots.txt, and a subscriber page under the disallowed path that the section links.
        robots_path = f"{site.robots_dir}{_slug('inside the story ' + name)}.html"
        _write(
            site_dir / "robots.txt",
            f"User-agent: *\nDisallow: {site.robots_dir}\nDisallow: /search\n\n"
            f"Sitemap: __BASE__/sitemap.xml\n",
        )
        robots_art = Article(
            name,
            "robots",
            "Subscriber exclusive: Inside the story",
            arts[-1].published,
            arts[-1].author,
            arts[-1].section,
            [("p", _ROBOTS_TEXT)],
            path=robots_path,
        )
        _write(page_file(site_dir, robots_path), render_page(site, robots_art, by_title))
        section_extra.append((f"__BASE__{robots_path}", "Subscriber exclusive: Inside the story"))
        truth["non_articles"].append({"site": name, "path": robots_path, "reason": "robots"})

        if name in {"spacewar", "globalvoice", "southerncross"}:
            media_path = {
                "spacewar": "/gallery/Launch_Pad_Gallery_November_2025.html",
                "globalvoice": "/video/week-in-pictures/7591002.html",
                "southerncross": "/video/sydney-storm-footage-20251121-p6v001.html",
            }[name]
            media = Article(
                name,
                "media",
                "Video: the week in pictures",
                arts[-1].published,
                arts[-1].author,
                arts[-1].section,
                [],
                path=media_path,
            )
            figure = (
                '<figure class="video-player"><img src="__BASE__/img/still.jpg" alt="">'
                "<figcaption>Watch: scenes from the week.</figcaption></figure>"
            )
            _write(page_file(site_dir, media_path), render_page(site, media, by_title, body=figure))
            section_extra.append((f"__BASE__{media_path}", "Video: the week in pictures"))
            truth["non_articles"].append({"site": name, "path": media_path, "reason": "no-text"})

        if name == "spacewar":
            # A feed link with tracking parameters to an article also listed without them.
            tracked = next(a for a in feed_arts if a in sitemap_arts and a in section_arts)
            feed_urls[tracked.path] += "?utm_source=rss&utm_medium=feed"
        if name == "harbourpost":
            gone = "/news/live/uk-74000001"
            extra_feed.append((f"__BASE__{gone}", "Live: Latest updates", arts[-1].published, ""))
            truth["non_articles"].append({"site": name, "path": gone, "reason": "404"})
        if name == "southerncross":
            gone = "/national/live-blog-storms-20251121-p6x404.html"
            routes[name].append(f'[[route]]\npath = "{gone}"\nstatus = 404\n')
            extra_feed.append((f"__BASE__{gone}", "LIVE: Storm updates", arts[-1].published, ""))
            truth["non_articles"].append({"site": name, "path": gone, "reason": "404"})
        if name == "northerntimes":
            # The newest story moved: the feed still has the old URL, which redirects.
            moved = newest_first[0]
            old = moved.path.rsplit("/", 1)[0] + "/caribou-deal-reached-1.0000001"
            routes[name].append(f'[[route]]\npath = "{old}"\nredirect = "{moved.path}"\n')
            feed_urls[moved.path] = "__BASE__" + old
            section_arts.remove(moved)
            truth["non_articles"].append({"site": name, "path": old, "reason": "redirect"})

        items = [
            (feed_urls[a.path], a.title, a.published, a.first_sentence) for a in feed_arts
        ] + extra_feed
        feed = _rss(site, items) if site.feed_format == "rss" else _atom(site, items)
        _write(site_dir / site.feed_path.lstrip("/"), feed)
        if site.sitemap_kind == "plain":
            _write(site_dir / "sitemap.xml", _plain_sitemap(sitemap_arts))
        else:
            _write(site_dir / "sitemaps" / "news.xml", _news_sitemap(site, sitemap_arts))
            _write(
                site_dir / "sitemap.xml", _sitemap_index(["/sitemaps/news.xml"], arts[-1].published)
            )
        _write(
            page_file(site_dir, site.section_path),
            _section_page(site, section_arts, section_extra),
        )
        if routes[name]:
            _write(site_dir / "_routes.toml", "\n".join(routes[name]))

        for art in arts:
            truth["articles"].append(
                {
                    "site": name,
                    "path": art.path,
                    "story": art.story,
                    "seed": art.seed,
                    "published": _iso(art.published),
                    "title": art.title,
                    "author": art.author,
                    "first_sentence": art.first_sentence,
                    "text": art.text,
                }
            )
    for art in sorted(articles, key=lambda a: a.published):
        truth["expected_origin"].setdefault(art.story, {"site": art.site, "path": art.path})
    return truth


def _sources_toml() -> str:
    out = [
        "# Sources of the bundled demo web: `wiredupe demo` replaces __SITE_<name>__",
        "# with the base URL each demo site is served on. Generated by demo/build_sites.py.",
    ]
    for name, site in SITES.items():
        sitemap = "/sitemap.xml"
        out += [
            "",
            "[[sources]]",
            f'name = "{name}"',
            f'feeds = ["__SITE_{name}__{site.feed_path}"]',
            f'sitemaps = ["__SITE_{name}__{sitemap}"]',
            f'pages = ["__SITE_{name}__{site.section_path}"]',
        ]
        if name == "southerncross":
            out.append("deny = ['/video/']")
    return "\n".join(out) + "\n"


def main() -> None:
    """Regenerate ``demo/sites/*``, ``demo/sources.toml`` and ``demo/truth.json``."""
    truth = build()
    (DEMO / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (DEMO / "sources.toml").write_text(_sources_toml(), encoding="utf-8")
    print(
        f"{len(truth['articles'])} articles on {len(SITES)} sites, "
        f"{len(truth['expected_origin'])} stories"
    )


if __name__ == "__main__":
    main()
