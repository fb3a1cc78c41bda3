"""Thresholds and trafilatura options of the extraction stage, in one place.

Each value carries a comment on why it has that value; the trafilatura options were
chosen with ``benchmarks/extraction.py`` on the labelled real pages (see its output).
"""

from __future__ import annotations

import re
from typing import Any, Final

__all__ = [
    "BOILERPLATE_BLOCK_CHARS",
    "BOILERPLATE_MIN_PAGES",
    "BOILERPLATE_MIN_SHARE",
    "DATE_FORMAT",
    "EXTRA_TRACKING_PARAMS",
    "INSERTED_LINE",
    "MAX_BAD_CHAR_SHARE",
    "MIN_SPACE_SHARE",
    "MIN_TEXT_CHARS",
    "MIN_TEXT_WORDS",
    "PROSE_LINE_CHARS_UNSPACED",
    "PROSE_LINE_WORDS",
    "SECTION_HEADING_CHARS",
    "SECTION_MAX_SHARE",
    "TABLE_CONTAINMENT",
    "TRAFILATURA_OPTIONS",
]

# A page whose article text is shorter than this is not an article but a navigation,
# video or gallery page. Only prose counts (see PROSE_LINE_WORDS): trafilatura keeps a
# section page's list of headline links as "text", and forty headlines are longer than
# a brief. The bar: a page is an article when its prose is at least this long
# (a caption and a teaser fall short): a wire brief is rarely under about
# 300 characters, the shortest labelled real page (a Japanese paywall teaser) has 301,
# and nav pages where
# trafilatura still finds "text" yield one or two link labels. Counted without spaces
# so that layout whitespace does not count.
MIN_TEXT_CHARS: Final = 250
# The same bar in words, for space-separated scripts: 40 words is two short
# sentences. Languages written without spaces (Japanese, Chinese) have few \w+ runs
# per sentence, so the word bar applies only when the text has spaces between words
# (see ``_too_short`` in ``article.py``).
MIN_TEXT_WORDS: Final = 40
# A text counts as space-separated when at least this share of its characters are
# spaces: about one in six for English or German, under 1% for Japanese.
MIN_SPACE_SHARE: Final = 0.05
# A line is prose when it ends like a sentence (., !, ?, …, 。 and the like, perhaps
# followed by a closing quote or bracket) or is at least this many words long (a
# paragraph whose last sentence lost its full stop). Headlines, link labels, captions
# and "Watch:" teasers end without one.
PROSE_LINE_WORDS: Final = 25
# The same for scripts written without spaces (Japanese, Chinese), in characters: a
# \w+ "word" there is a whole phrase, and lists of places or results run long without
# a full stop.
PROSE_LINE_CHARS_UNSPACED: Final = 40
# Share of U+FFFD and control characters above which a decoded body is taken to be
# binary (a PDF, an image, a compressed body) or in an encoding that was not found:
# correctly decoded HTML has none, and a few stray bytes in a script are tolerated.
MAX_BAD_CHAR_SHARE: Final = 0.01

# Options of trafilatura.bare_extraction, chosen by the benchmark (macro F1 on the 232
# labelled real pages; trafilatura's defaults score F1 0.943): comments are never
# article text and are the largest single source of leaks (0.943 -> 0.950);
# favor_precision cost more recall than it saved (0.948; on the template pages, with
# per-source learning, P 0.998 R 0.933 F1 0.964 against 0.985/0.958/0.971 without
# it), as did favor_recall (0.947) and fast (0.946); deduplicate (0.948) also keeps
# a process-wide cache that leaks between pages. include_tables is not an option
# here but a choice per page:
#
# Tables are extracted twice: trafilatura without tables is the cleaner pass (a
# layout table of sidebars and footers cannot leak), but on pages that lay the
# article itself out in a table (spacedaily.com and its sister sites) it loses the
# article and returns the footer. When the text without tables is mostly found in
# the text with tables, it is the same article with less chrome and is kept;
# otherwise (the two share little) the table-free pass missed the article, and the
# table-aware text is kept. 0.8 leaves room for a caption or teaser in one only.
TABLE_CONTAINMENT: Final = 0.8

# Lines that publishers insert into an article's body but that are not part of it:
# ad markers, inline links to other stories ("Read more: <headline>", German
# "Lesen Sie auch: …", "Mehr zum Thema: …") and photo credits, alone or ending a
# caption ("Protesters in the square. Photo: Jane Doe/AFP"). They sit between
# paragraphs, inside the article's container, so trafilatura keeps them. A credit
# is at most a few names (no full stop, at most 60 characters after the label), so
# a sentence of the article that mentions a "photo:" does not match.
INSERTED_LINE: Final = re.compile(
    r"^(?:advertisement|advertising|sponsored|story continues below(?: advertisement)?"
    r"|scroll to continue(?: with content)?|anzeige|werbung"
    r"|(?:read|see) (?:more|also)\s*[:|\-\u2013\u2014].*|also read\s*[:|\-].*"
    r"|related\s*:.*"
    r"|(?:lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|siehe auch)\s*[:|\-].*"
    r"|.{0,200}?\b(?:photo|picture|image|credit|foto|bild)\s*:\s*[^.:]{1,60}"
    r"|.{0,200}?©\s*[^.:]{1,60})$",
    re.IGNORECASE,
)

# Per-source boilerplate (extract/boilerplate.py): a block of text on at least half
# of a source's pages in one crawl, and on at least three of them, is chrome: an
# article's paragraphs are on one page, a footer or "Related Links" list on all.
BOILERPLATE_MIN_SHARE: Final = 0.5
BOILERPLATE_MIN_PAGES: Final = 3
# Blocks shorter than this ("Share", "Video") are too common to say anything, and
# longer ones are page-wide containers, not blocks. A short label or byline that is
# on most of one source's pages ("Article content", "von Manuela Conrad") is its chrome.
BOILERPLATE_BLOCK_CHARS: Final = (10, 5000)
# A section's heading ("Related stories", "Leserkommentare", "# comments") is a short
# title: a bold run of a whole paragraph is not one.
SECTION_HEADING_CHARS: Final = (3, 60)
# A learned section whose lines are half of a page's text or more is the article's
# own container (it starts with the same share bar or label on every page): its
# lines stay.
SECTION_MAX_SHARE: Final = 0.5

TRAFILATURA_OPTIONS: Final[dict[str, Any]] = {
    "include_comments": False,
    "favor_precision": False,
    "favor_recall": False,
    "fast": False,
    "deduplicate": False,
    "include_images": False,
    "include_links": False,
    "include_formatting": False,
}

# htmldate's output format with time and offset, so that a page's full timestamp
# (article:published_time, JSON-LD datePublished) survives instead of just the day.
DATE_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%z"

# Query parameters that identify a campaign or a click, not a page. courlan strips most
# (utm_*, fbclid, gclid, mc_*, _ga, _gl, ref, *_campaign, *_source, ...; the tests of
# canonical_url pin that); these are the ones it keeps.
EXTRA_TRACKING_PARAMS: Final = re.compile(
    r"^(?:_hsenc|_hsmi|rb_clickid|ns_mchannel|ns_linkname|ns_fee|"
    r"cmpid|icid|ito|wt_mc|wt\.mc_id|sr_share|share|smid|taid|ocid)$",
    re.IGNORECASE,
)
