"""A labelled syndication corpus: wire stories, their edited copies, and hard negatives.

Deterministic (everything is drawn from :class:`random.Random` seeded with the
corpus seed) and offline; made only from the project's fixtures.

Stories (the labels):
    Each real article of ``tests/fixtures/real_pages/truth.jsonl`` is one story:
    223 texts (107 German, 61 English, 55 in 18 other languages written with
    spaces); the 9 Japanese and Chinese ones are left out (the page templates are
    English and German sites, and no outlet of theirs would carry them). Three
    quarters of the long ones (10 paragraphs or more) are split into two stories,
    first half and second half: *same-event* hard negatives, with the same names
    and subject but different sentences, like seeds 001-003 against the AFP
    dispatch; half of the second halves also quote a sentence of the first (as
    rewrites of one event quote the same people). :data:`BRIEF_TEXTS` real texts
    are kept out of the stories and give one *brief* each (their first one or two
    sentences, 30-70 words, edited like any copy): very short articles that are
    no one's copy. A brief cut from a story that is in the corpus would be a copy
    of it; that case is left out rather than labelled one way or the other, so
    every brief is a singleton and a negative (under 40 words, the extractor
    rejects it anyway). The five seeds (``tests/fixtures/seeds``) are added as
    they are: 000 and 004 (one AFP dispatch) are one story, 001, 002 and 003 one
    story each.

Copies (the articles):
    Each story gets 1-12 copies (most 2-4, some singletons, a few large ones), on
    distinct outlets. The first copy, the *origin*, is clean apart from its agency
    dateline; every later one goes through the edit model (:func:`edit_copy`),
    taken from how wire copy is republished, each edit with its own probability
    (``P_...`` below): a new or altered headline; the agency's dateline and
    credit in one of its real forms (``PARIS (AFP) -``, ``by AFP Staff
    Writers``, ``© Reuters``, ``New Delhi [India], May 3 (ANI):``, dpa's
    ``dpa-infocom`` tail...) for AFP, AP, Reuters, dpa, PTI, ANI, IANS, UPI,
    Xinhua and Bloomberg; truncation to 40-100% of the paragraphs; a sentence
    cut; paragraphs split or merged; a few percent of words copy-edited (spelling,
    ``on Friday``/``Friday``, ``$1 trillion``/``$1tn``, ``does not``/``doesn't``,
    numbers, dropped filler words), in the outlet's own quote and dash style;
    inserted lines (``ADVERTISEMENT``, ``Read more: <another story's
    headline>``); the outlet's own boilerplate (a promotion line, the
    "syndicated feed" note of Indian sites) on all its articles. A copy in
    seven (:data:`P_REWRITE`) is *rewritten* as seed 000 rewrote 004: 6-12% of
    its words reworded (three times as many in the lede), paragraphs moved, a
    sentence or two of context added; such copies have word 3-shingle Jaccard
    0.2-0.55 with their origin (the seed pair: 0.33). Copies are published
    minutes to hours after the origin; a few are undated.

Outlets and templates:
    Each of the 16 real page templates of ``tests/fixtures/template_pages`` hosts
    two outlets (a site and a sister site on the same CMS). With ``render=True``
    each article is put into its outlet's template by that fixture's own
    generator (menus, related lists, comments, share bars, inline "Read more"
    lines), so the benchmark runs the real extractor on real boilerplate, and
    different stories of one outlet share the template and its boilerplate: a
    third kind of hard negative. English and German stories go to outlets of
    their language; the others to any.

:func:`scale_corpus` streams a large corpus of synthetic stories for throughput
benchmarks: texts from a word trigram Markov model trained on the real English and
German texts, through the same edit model (100,000 articles in about 30 seconds).

Run from the repository root::

    .venv/bin/python benchmarks/syndication.py --write corpus.jsonl [--html] [--seed 0]
    .venv/bin/python benchmarks/syndication.py --write-scale 100000 scale.jsonl [--days 30]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import itertools
import json
import math
import multiprocessing
import random
import re
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REAL_TRUTH = FIXTURES / "real_pages" / "truth.jsonl"
SEEDS = FIXTURES / "seeds"
TEMPLATE_BUILD = FIXTURES / "template_pages" / "build.py"

# --- Corpus shape -------------------------------------------------------------------

# Real texts kept out of the stories, each giving one brief (a short negative).
BRIEF_TEXTS = 30
# A real text with this many paragraphs may become two stories (first and second half).
SPLIT_MIN_PARAGRAPHS = 10
# The share of those that are split: enough for 300+ stories from 232 texts.
SPLIT_SHARE = 0.75
# A second half also quotes a sentence of the first (as rewrites of one event quote
# the same people), when the first half has a quoted sentence.
P_SHARED_QUOTE = 0.5
# Copies per story and their weights: many groups of 2-4, some singletons, a few
# large ones (a big wire story is carried by a dozen sites). Mean about 3.6.
COPIES = (1, 2, 3, 4, 5, 6, 8, 10, 12)
COPY_WEIGHTS = (10, 24, 24, 18, 10, 6, 4, 2.5, 1.5)
# Brief length in words: one or two sentences.
BRIEF_WORDS = (30, 70)
# Texts with fewer spaces than this share of their characters (Japanese, Chinese) are
# left out: the page templates are English and German sites, and no outlet of
# theirs would carry them.
MIN_SPACE_SHARE = 0.05

# --- Edit model: probability of each edit on a copy (the origin only gets a dateline) -

P_ORIGIN_DATELINE = 0.85  # the first publisher keeps the agency's dateline
P_DATELINE = 0.65  # a copy keeps a dateline (in some form)
P_DATELINE_LINE = 0.3  # ... else an agency line of its own above the text
P_TAIL = 0.4  # a credit line after the text
P_HEADLINE = {"same": 0.35, "altered": 0.4, "new": 0.25}
P_TRUNCATE = 0.55  # a copy is cut ...
KEEP_RANGE = (0.4, 0.95)  # ... to this share of its paragraphs
P_CUT_SENTENCE = 0.15  # one sentence dropped from the middle
P_SPLIT = 0.25  # some long paragraphs split at a sentence end
P_MERGE = 0.25  # some pairs of paragraphs merged
P_COPY_EDIT = 0.75  # words copy-edited ...
EDIT_RATE = (0.005, 0.04)  # ... at this share of its words
# A rewritten copy, like seed 000 against 004 (word 3-shingle Jaccard 0.33,
# containment 0.61): a sub-editor rewords the lede and more, moves paragraphs and
# adds a sentence or two of context.
P_REWRITE = 0.15
REWRITE_RATE = (0.06, 0.12)  # share of words reworded, three times that in the lede
P_AD = 0.3  # an "ADVERTISEMENT" line
P_READ_MORE = 0.3  # a "Read more: <headline>" line
P_PROMO = 0.8  # the outlet's promotion line, on outlets that have one
P_UNDATED = 0.06  # no publication date
MEDIAN_DELAY_MINUTES = 90  # copies follow the origin by minutes to hours (log-normal)

_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)

# --- Agencies -----------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    """How one news agency's copy is credited.

    Format fields: ``{CITY}``/``{City}``, ``{Mon}`` (Nov), ``{Month}`` (November),
    ``{d}``, ``{yyyy}``, ``{yymmdd}``, ``{n6}`` (six digits), ``{k}``, ``{ini}``,
    ``{ini2}`` (desk initials), ``{name}``/``{name2}`` (reporters), ``{outlet}``.
    """

    name: str
    cities: tuple[str, ...]
    datelines: tuple[str, ...]  # before the first paragraph's text
    headers: tuple[str, ...]  # lines above the text ("\n" separates two lines)
    tails: tuple[str, ...]  # lines after the text


AGENCIES: dict[str, Agency] = {
    a.name: a
    for a in (
        Agency(
            "AFP",
            ("Paris", "Taipei", "Brussels", "Geneva", "Nairobi", "Hong Kong"),
            ("{CITY} (AFP) - ", "{City} (AFP) - ", "{City} (AFP) \u2013 "),
            ("by AFP Staff Writers\n{City} (AFP) {Mon} {d}, {yyyy}", "By AFP", "AFP"),
            ("\u00a9 AFP", "\u00a9 {yyyy} AFP", "{ini}/{ini2}", "-- Agence France-Presse"),
        ),
        Agency(
            "AP",
            ("Washington", "New York", "Los Angeles", "Chicago", "London"),
            ("{CITY} (AP) \u2014 ", "{CITY} (AP) -- ", "{City} (AP) - "),
            ("By The Associated Press", "By {NAME}\nAssociated Press", "Associated Press"),
            (
                "Copyright {yyyy} The Associated Press. All rights reserved.",
                "Associated Press writer {name} in {City} contributed to this report.",
            ),
        ),
        Agency(
            "Reuters",
            ("London", "Singapore", "New York", "Frankfurt", "Tokyo"),
            ("{CITY}, {Mon} {d} (Reuters) - ", "{City}, {Month} {d} (Reuters) - "),
            ("By {name}", "Reuters"),
            (
                "Reporting by {name}; Editing by {name2}",
                "(Reporting by {name} in {City}; Writing by {name2})",
                "\u00a9 Thomson Reuters {yyyy}",
                "\u00a9 Reuters",
            ),
        ),
        Agency(
            "dpa",
            ("Berlin", "Hamburg", "M\u00fcnchen", "K\u00f6ln", "Br\u00fcssel", "Wien"),
            ("{City} (dpa) - ", "{City} (dpa) \u2013 ", "{City} (dpa/lni) - "),
            ("dpa", "Von {name}, dpa"),
            (
                "dpa-infocom, dpa:{yymmdd}-99-{n6}/{k}",
                "\u00a9 dpa-infocom, dpa:{yymmdd}-99-{n6}/{k}",
            ),
        ),
        Agency(
            "PTI",
            ("New Delhi", "Mumbai", "Kolkata", "Chennai", "Bengaluru"),
            ("{City}, {Mon} {d} (PTI) ", "{CITY}, {Mon} {d} (PTI) "),
            ("Press Trust of India", "PTI"),
            ("PTI {INI} {INI2}", "(With inputs from PTI)"),
        ),
        Agency(
            "ANI",
            ("New Delhi", "Mumbai", "Srinagar", "Guwahati"),
            ("{City} [India], {Month} {d} (ANI): ", "{City}, {Mon} {d} (ANI): "),
            ("ANI",),
            ("(ANI)",),
        ),
        Agency(
            "IANS",
            ("New Delhi", "Mumbai", "Lucknow", "Hyderabad"),
            ("{City}, {Mon} {d} (IANS) ", "{City}, {Month} {d} (IANS) "),
            ("IANS",),
            ("--IANS", "{ini}/{ini2}", "(IANS)"),
        ),
        Agency(
            "UPI",
            ("Washington", "Seoul", "Boston"),
            ("{Mon}. {d} (UPI) -- ", "{CITY}, {Mon}. {d} (UPI) -- "),
            ("By {name}, UPI", "By UPI Staff"),
            (
                "Copyright {yyyy} United Press International, Inc. (UPI). Any reproduction, "
                "republication, redistribution and/or modification of any UPI content is "
                "expressly prohibited without UPI's prior written consent.",
            ),
        ),
        Agency(
            "Xinhua",
            ("Beijing", "Shanghai", "Hong Kong", "Geneva"),
            ("{CITY}, {Mon}. {d} (Xinhua) -- ", "{City}, {Month} {d} (Xinhua) -- "),
            ("Source: Xinhua", "Xinhua"),
            ("Editor: {name}", "Source: Xinhua"),
        ),
        Agency(
            "Bloomberg",
            ("New York", "London", "Tokyo", "Singapore"),
            ("(Bloomberg) -- ", "{City} (Bloomberg) -- "),
            ("By {name}", "Bloomberg"),
            (
                "\u00a9{yyyy} Bloomberg L.P.",
                "More stories like this are available on bloomberg.com",
                "--With assistance from {name}.",
            ),
        ),
    )
}
# Which agency a story comes from (None: syndicated without a credit), by language.
AGENCY_WEIGHTS: dict[str | None, dict[str | None, float]] = {
    "en": {
        "AFP": 16, "Reuters": 16, "AP": 14, "dpa": 3, "PTI": 9, "ANI": 6, "IANS": 6,
        "UPI": 5, "Xinhua": 6, "Bloomberg": 7, None: 5,
    },
    "de": {"dpa": 55, "AFP": 20, "Reuters": 12, "AP": 5, "Bloomberg": 3, None: 5},
    None: {"AFP": 30, "Reuters": 25, "AP": 15, "Xinhua": 15, "dpa": 5, None: 10},
}  # fmt: skip
_REPORTERS = (
    "Jane Doe", "Ravi Kumar", "Lena Schmidt", "Tom Brennan", "Yuki Sato", "Ana Lopez",
    "Michael Hart", "Priya Menon", "Jonas Weber", "Claire Dubois", "Wei Zhang", "Sam Okafor",
)  # fmt: skip
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip

# --- Outlets ------------------------------------------------------------------------

# A sister site per template (the same CMS under another name, as Postmedia's papers
# share one).
_SISTER = ("metro", "north", "west", "live", "regional", "today")
_PROMO = {
    "en": (
        "Follow {outlet} on Facebook, X and Instagram for the latest news.",
        "Download the {outlet} app for breaking news alerts on your phone.",
        "Sign up for the {outlet} newsletter to get the day's top stories.",
    ),
    "de": (
        "Folgen Sie {outlet} auf Facebook, X und Instagram.",
        "Die wichtigsten Nachrichten des Tages: Jetzt den {outlet}-Newsletter abonnieren.",
    ),
}
# Indian sites that run agency copy unedited say so under every such story.
_FEED_NOTE = (
    "(Except for the headline, this story has not been edited by {outlet} staff and is "
    "published from a syndicated feed.)"
)
_FEED_AGENCIES = frozenset({"PTI", "ANI", "IANS"})
_AD = {"en": ("ADVERTISEMENT", "Advertisement", "Story continues below advertisement"),
       "de": ("Anzeige", "ANZEIGE", "Werbung")}  # fmt: skip
_READ_MORE = {"en": ("Read more: ", "READ MORE: ", "Also read: ", "See also: ", "RELATED: "),
              "de": ("Lesen Sie auch: ", "Mehr zum Thema: ", "Auch interessant: ")}  # fmt: skip


@dataclass(frozen=True)
class Outlet:
    """A site that republishes wire copy, with its house style."""

    name: str
    host: str
    template: str  # file of the real page template, under tests/fixtures/real_pages
    language: str  # the template's language ("en" or "de")
    quotes: str  # "curly" or "straight"
    dashes: str  # "em", "double" or "hyphen"
    promo: str | None  # a promotion line it adds under its articles
    feed_note: bool  # adds the syndicated-feed note under Indian agency copy
    ad: str
    read_more: str


# --- Labelled records ---------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """A story: the label its copies share, and the text they are made from."""

    label: str
    kind: str  # "report", "half", "seed" (000+004), "seed-rewrite" or "brief"
    family: str  # the report or event it comes from: split halves and seeds share one
    title: str
    paragraphs: tuple[str, ...]
    language: str | None  # "en", "de" or None (another language)
    published: datetime
    agency: str | None
    city: str


@dataclass(frozen=True)
class Edits:
    """What the edit model did to one copy (for the error breakdown)."""

    origin: bool
    headline: str = "same"  # "same", "altered" or "new"
    kept: float = 1.0  # share of the story's paragraphs kept
    cut_sentence: bool = False
    split: int = 0  # paragraphs split in two
    merged: int = 0  # pairs of paragraphs merged
    copy_edits: int = 0  # words changed
    rewrite: bool = False  # reworded, paragraphs moved, context added (P_REWRITE)
    credit: tuple[str, ...] = ()  # "dateline", "header", "tail", "feed-note"
    inserted: tuple[str, ...] = ()  # "ad", "read-more", "promo"


@dataclass(frozen=True)
class LabelledArticle:
    """One article of the corpus with its label.

    ``text`` is the copy as its outlet wrote it (one paragraph per line); ``html``
    is the page it would be served as (when rendered), for the extractor.
    """

    id: str
    story: str
    kind: str
    family: str
    source: str
    language: str | None
    title: str
    text: str
    published: datetime | None
    fetched: datetime
    url: str
    edits: Edits
    agency: str | None = None
    template: str | None = None
    html: str | None = None

    def record(self, *, html: bool = False) -> dict[str, Any]:
        """The JSON-lines record ``wiredupe ingest`` reads, plus the label fields.

        ``wiredupe ingest`` ignores the label fields (``id``, ``story``, ``kind``). It
        also has no field for the fetch time: it stamps an undated copy with the
        time of the ingest, which for this corpus of past stories is outside the
        story's matching window, so undated copies stay alone there.

        Args:
            html: give the rendered page (``html``) instead of ``text``.

        Raises:
            ValueError: ``html`` is asked for but the article was not rendered.
        """
        body: dict[str, Any]
        if html:
            if self.html is None:
                raise ValueError(f"{self.id} was not rendered: use labelled_corpus(render=True)")
            body = {"html": self.html}
        else:
            body = {"text": self.text}
        return {
            "url": self.url,
            "title": self.title,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            **body,
            "id": self.id,
            "story": self.story,
            "kind": self.kind,
        }


# --- Material -----------------------------------------------------------------------


@functools.cache
def template_builder() -> ModuleType:
    """The template pages' generator (``tests/fixtures/template_pages/build.py``), loaded by path.

    Cached: it is code and read-only data, loaded once per process.
    """
    name = "_wiredupe_template_pages_build"
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_BUILD)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {TEMPLATE_BUILD}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class _RealText:
    file: str
    title: str
    lines: tuple[str, ...]
    language: str | None
    published: datetime


def _real_texts() -> list[_RealText]:
    rows = [json.loads(line) for line in REAL_TRUTH.read_text(encoding="utf-8").splitlines()]
    truths = _templates()
    out = []
    for row in rows:
        truth = truths[row["file"]]
        out.append(
            _RealText(
                file=row["file"],
                title=truth.title,
                lines=truth.lines,
                language=truth.language,
                published=datetime.fromisoformat(row["published"]).astimezone(UTC),
            )
        )
    return out


def _seed_texts() -> dict[str, str]:
    """The five seed reports by number; 004 cut before its sidebar (as the tests do)."""
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    head, _, _ = texts["004"].partition("\nTECH SPACE\nNASA")
    texts["004"] = head.split("Space Travel News\nTECH SPACE\n", 1)[1]
    return texts


# --- Text helpers -------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d\u2019]))\s+(?=[\"\u201c\u201e\u2018A-Z\u00c4\u00d6\u00dc0-9])"
)
_CJK_SENTENCE_END = re.compile(r"(?<=\u3002)")


def _sentences(paragraph: str) -> list[str]:
    parts = _SENTENCE_END.split(paragraph)
    if len(parts) == 1 and " " not in paragraph:
        parts = [p for p in _CJK_SENTENCE_END.split(paragraph) if p]
    return [p.strip() for p in parts if p.strip()]


def _join_sentences(sentences: Sequence[str]) -> str:
    spaced = any(" " in s for s in sentences)
    return (" " if spaced else "").join(sentences)


def _word_count(lines: Iterable[str]) -> int:
    """Words separated by spaces (the texts here are written with spaces)."""
    return sum(len(line.split()) for line in lines)


def _headline_from(paragraph: str, rng: random.Random) -> str:
    """A headline made from a paragraph's first sentence (a sub-editor's new headline)."""
    words = paragraph.split()
    if len(words) <= 1:
        return paragraph[: rng.randint(20, 40)].rstrip("\u3001\u3002,;: ")
    cut = words[: rng.randint(6, 12)]
    # End at the first sentence when it is long enough to be a headline.
    for i, word in enumerate(cut[4:], start=5):
        if word.endswith((".", "!", "?")):
            cut = cut[:i]
            break
    return " ".join(cut).rstrip(".,;:!?\"'\u201d\u2019 ")


# --- Stories ------------------------------------------------------------------------


def _story_agency(language: str | None, rng: random.Random) -> tuple[str | None, str]:
    weights = AGENCY_WEIGHTS[language if language in AGENCY_WEIGHTS else None]
    (agency,) = rng.choices(list(weights), weights=list(weights.values()))
    cities = AGENCIES[agency].cities if agency else ("Paris", "London", "Berlin")
    return agency, rng.choice(cities)


def _spaced(lines: Sequence[str]) -> bool:
    """Whether a text is written with spaces between words (not Japanese or Chinese)."""
    text = " ".join(lines)
    return text.count(" ") >= MIN_SPACE_SHARE * len(text)


def _stories(texts: Sequence[_RealText], rng: random.Random) -> list[Story]:
    texts = [t for t in texts if _spaced(t.lines)]
    # Briefs come from spaced-script texts whose first sentences make a brief.
    brief_pool = [t for t in texts if _brief_lines(t.lines) is not None]
    brief_files = {t.file for t in rng.sample(brief_pool, BRIEF_TEXTS)}
    stories: list[Story] = []
    for n, text in enumerate(texts):
        label = f"r{n:03d}"
        agency, city = _story_agency(text.language, rng)
        base = Story(
            label=label,
            kind="report",
            family=text.file,
            title=text.title,
            paragraphs=text.lines,
            language=text.language,
            published=text.published,
            agency=agency,
            city=city,
        )
        if text.file in brief_files:
            lines = _brief_lines(text.lines)
            assert lines is not None
            stories.append(replace(base, label=f"{label}b", kind="brief", paragraphs=lines))
        elif len(text.lines) >= SPLIT_MIN_PARAGRAPHS and rng.random() < SPLIT_SHARE:
            half = len(text.lines) // 2
            second = list(text.lines[half:])
            quote = _quoted_sentence(text.lines[:half], rng)
            if quote and rng.random() < P_SHARED_QUOTE:
                second.insert(rng.randrange(1, len(second) + 1), quote)
            stories.append(
                replace(base, label=f"{label}a", kind="half", paragraphs=text.lines[:half])
            )
            agency2, city2 = _story_agency(text.language, rng)
            stories.append(
                replace(
                    base,
                    label=f"{label}z",
                    kind="half",
                    title=_headline_from(second[0], rng),
                    paragraphs=tuple(second),
                    published=text.published + timedelta(minutes=rng.randint(60, 600)),
                    agency=agency2,
                    city=city2,
                )
            )
        else:
            stories.append(base)
    return stories


def _quoted_sentence(lines: Sequence[str], rng: random.Random) -> str | None:
    """A sentence of ``lines`` that quotes someone (8 words or more), if there is one."""
    quotes = [
        sentence
        for line in lines
        for sentence in _sentences(line)
        if len(sentence.split()) >= 8 and any(q in sentence for q in '"\u201c\u201e\u00ab')
    ]
    return rng.choice(quotes) if quotes else None


def _brief_lines(lines: Sequence[str]) -> tuple[str, ...] | None:
    """The first sentences of a text, :data:`BRIEF_WORDS` long, or None when they are not."""
    low, high = BRIEF_WORDS
    kept: list[str] = []
    for sentence in _sentences(lines[0]) + (_sentences(lines[1]) if len(lines) > 1 else []):
        if _word_count(kept) >= low:
            break
        kept.append(sentence)
    words = _word_count(kept)
    return (_join_sentences(kept),) if low <= words <= high else None


def _seed_stories() -> list[tuple[Story, list[tuple[str, str, str]]]]:
    """The seeds as stories, each with its real copies as (number, title, text)."""
    texts = _seed_texts()
    when = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)
    copies: dict[str, tuple[str, str]] = {}
    for number, text in texts.items():
        lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
        lines = [line for line in lines if line]
        first = lines[0]
        is_headline = 3 <= len(first.split()) <= 16 and not first.endswith((".", "!", "?"))
        title = first if is_headline else ""
        body = [line for line in lines if line != title] if title else lines
        if not title:
            lead = next(line for line in body if len(line.split()) > 8)
            title = _headline_from(lead, random.Random(number))
        copies[number] = (title, "\n".join(body))
    afp = copies["004"]
    stories = [
        (
            Story(
                label="seed-afp",
                kind="seed",
                family="seeds",
                title=afp[0],
                paragraphs=tuple(afp[1].splitlines()),
                language="en",
                published=when,
                agency="AFP",
                city="Taipei",
            ),
            [("004", *copies["004"]), ("000", *copies["000"])],
        )
    ]
    for number in ("001", "002", "003"):
        title, text = copies[number]
        story = Story(
            label=f"seed-{number}",
            kind="seed-rewrite",
            family="seeds",
            title=title,
            paragraphs=tuple(text.splitlines()),
            language="en",
            published=when + timedelta(hours=int(number)),
            agency=None,
            city="Taipei",
        )
        stories.append((story, [(number, title, text)]))
    return stories


# --- Outlets ------------------------------------------------------------------------


def _outlets(seed: int) -> list[Outlet]:
    build = template_builder()
    truths = _templates()
    outlets = []
    for n, file in enumerate(build.TEMPLATES):
        template = truths[file]
        site = Path(file).name.split("_")[0]
        host = re.sub(r"^https?://", "", template.url).split("/")[0]
        domain = host.removeprefix("www.")
        for name, outlet_host in ((site.lower(), host), (f"{site.lower()}-{_SISTER[n % 6]}", None)):
            rng = random.Random(f"outlet/{seed}/{name}")
            language = template.language
            outlets.append(
                Outlet(
                    name=name,
                    host=outlet_host or f"{_SISTER[n % 6]}.{domain}",
                    template=file,
                    language=language,
                    quotes=rng.choice(("curly", "straight")),
                    dashes=rng.choice(("em", "double", "hyphen")),
                    promo=rng.choice(_PROMO[language]).format(outlet=site)
                    if rng.random() < 0.4
                    else None,
                    feed_note=language == "en" and rng.random() < 0.5,
                    ad=rng.choice(_AD[language]),
                    read_more=rng.choice(_READ_MORE[language]),
                )
            )
    return outlets


def _eligible(outlets: Sequence[Outlet], language: str | None) -> list[Outlet]:
    if language in ("en", "de"):
        return [o for o in outlets if o.language == language]
    return list(outlets)


# --- The edit model -----------------------------------------------------------------


def _fields(story: Story, rng: random.Random, outlet: str) -> dict[str, str]:
    day = story.published
    first, second = rng.sample(_REPORTERS, 2)
    initials = ["".join(rng.choices("abcdefghijklmnoprstvw", k=rng.randint(2, 3))) for _ in "ab"]
    return {
        "CITY": story.city.upper(),
        "City": story.city,
        "Mon": _MONTHS[day.month - 1][:3],
        "Month": _MONTHS[day.month - 1],
        "d": str(day.day),
        "yyyy": str(day.year),
        "yymmdd": day.strftime("%y%m%d"),
        "n6": f"{zlib.crc32(story.label.encode()) % 10**6:06d}",
        "k": str(rng.randint(2, 9)),
        "ini": initials[0],
        "ini2": initials[1],
        "INI": initials[0].upper(),
        "INI2": initials[1].upper(),
        "name": first,
        "NAME": first.upper(),
        "name2": second,
        "outlet": outlet,
    }


def _credit(
    story: Story, outlet: Outlet, rng: random.Random, *, origin: bool
) -> tuple[str, list[str], list[str], tuple[str, ...]]:
    """Dateline prefix, header lines, tail lines, and which of them were used."""
    agency = AGENCIES.get(story.agency or "")
    if agency is None:
        return "", [], [], ()
    fields = _fields(story, rng, outlet.name)
    used: list[str] = []
    prefix = ""
    header: list[str] = []
    tail: list[str] = []
    if origin:
        if rng.random() < P_ORIGIN_DATELINE:
            prefix = agency.datelines[0].format(**fields)
            used.append("dateline")
        return prefix, header, tail, tuple(used)
    if rng.random() < P_DATELINE:
        prefix = rng.choice(agency.datelines).format(**fields)
        used.append("dateline")
    elif rng.random() < P_DATELINE_LINE:
        header = rng.choice(agency.headers).format(**fields).split("\n")
        used.append("header")
    if rng.random() < P_TAIL:
        tail.append(rng.choice(agency.tails).format(**fields))
        used.append("tail")
    if outlet.feed_note and agency.name in _FEED_AGENCIES:
        tail.append(_FEED_NOTE.format(outlet=outlet.name))
        used.append("feed-note")
    return prefix, header, tail, tuple(used)


_DAYS = frozenset({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"})
# Both ways; a side of two words is matched on two neighbouring words.
_SWAPS = {
    "en": (
        ("centre", "center"), ("organisation", "organization"), ("recognised", "recognized"),
        ("defence", "defense"), ("labour", "labor"), ("favour", "favor"),
        ("programme", "program"), ("analyse", "analyze"), ("colour", "color"),
        ("travelled", "traveled"), ("per cent", "percent"), ("United States", "US"),
        ("does not", "doesn't"), ("did not", "didn't"), ("is not", "isn't"),
        ("will not", "won't"), ("cannot", "can't"), ("said", "says"), ("towards", "toward"),
        ("amid", "amidst"), ("while", "whilst"), ("two", "2"), ("three", "3"), ("four", "4"),
        ("five", "5"), ("six", "6"), ("seven", "7"), ("eight", "8"), ("nine", "9"),
        ("Prime Minister", "PM"), ("around", "about"),
    ),
    "de": (
        ("dass", "da\u00df"), ("Prozent", "%"), ("Millionen", "Mio."), ("Milliarden", "Mrd."),
        ("sagte", "sagt"), ("bereits", "schon"), ("zudem", "au\u00dferdem"),
        ("Bundesregierung", "Regierung"), ("rund", "etwa"), ("sowie", "und"),
    ),
}  # fmt: skip
# Rewording (rewrites only): common newsroom synonyms, both ways.
_SYNONYMS = {
    "en": (
        ("announced", "unveiled"), ("agreement", "deal"), ("company", "firm"),
        ("companies", "firms"), ("officials", "authorities"), ("increase", "rise"),
        ("however", "but"), ("began", "started"), ("buy", "purchase"),
        ("large", "big"), ("major", "key"), ("people", "residents"), ("children", "kids"),
        ("warned", "cautioned"), ("help", "assist"), ("meeting", "talks"), ("plan", "proposal"),
        ("rules", "regulations"), ("country", "nation"), ("biggest", "largest"),
        ("latest", "newest"), ("string", "series"), ("soared", "surged"), ("fell", "dropped"),
        ("rose", "climbed"), ("car", "vehicle"), ("film", "movie"), ("shows", "indicates"),
        ("added", "noted"), ("expected", "set"), ("about", "roughly"), ("after", "following"),
    ),
    "de": (
        ("sagte", "erkl\u00e4rte"), ("Unternehmen", "Konzern"), ("Menschen", "Personen"),
        ("jedoch", "aber"), ("wegen", "aufgrund"), ("Angaben", "Informationen"),
        ("deshalb", "daher"), ("allerdings", "jedoch"), ("wichtig", "bedeutsam"),
        ("mehr als", "\u00fcber"), ("zeigt", "belegt"), ("neue", "neuartige"),
        ("beginnt", "startet"), ("Stadt", "Kommune"), ("erst", "zun\u00e4chst"),
    ),
}  # fmt: skip
_FILLERS = {
    "en": frozenset({"also", "very", "just", "now", "still", "already", "really", "that"}),
    "de": frozenset({"auch", "noch", "bereits", "nun", "jetzt", "sehr", "schon", "zudem"}),
}
_MONEY_WORD = {"trillion": "tn", "billion": "bn", "million": "m"}
_MONEY_SHORT = re.compile(r"(\$\d+(?:\.\d+)?)(tn|bn|m)")
_MONEY_AMOUNT = re.compile(r"\$\d+(?:\.\d+)?")
# Punctuation around a word that is not part of it (a final "." is, in "Mio.").
_AROUND = ",;:!?\"'()\u201c\u201d\u2018\u2019\u201e\u00ab\u00bb"


@dataclass(frozen=True)
class _Rules:
    """A language's copy edits, looked up word by word."""

    words: dict[str, str]  # a word -> what replaces it
    pairs: dict[tuple[str, str], str]  # two neighbouring words -> what replaces them
    firsts: frozenset[str]  # the words an edit can start at
    fillers: frozenset[str]
    english: bool  # weekdays ("on Friday"/"Friday") and amounts ("$1 trillion"/"$1tn")


@functools.cache
def _rules(language: str, rewrite: bool) -> _Rules:
    words: dict[str, str] = {}
    pairs: dict[tuple[str, str], str] = {}
    for a, b in _SWAPS[language] + (_SYNONYMS[language] if rewrite else ()):
        for x, y in ((a, b), (b, a), (a[:1].upper() + a[1:], b[:1].upper() + b[1:])):
            key = x.split(" ")
            if len(key) == 2:
                pairs.setdefault((key[0], key[1]), y)
            else:
                words.setdefault(x, y)
    english = language == "en"
    firsts = frozenset(words) | {a for a, _ in pairs} | (_DAYS if english else frozenset())
    return _Rules(words, pairs, firsts, _FILLERS[language], english)


def _rule_sites(words: Sequence[str], rules: _Rules) -> list[int]:
    """Where in ``words`` a rule can apply (about 0.1 µs a word)."""
    firsts, english = rules.firsts, rules.english
    return [
        j for j, w in enumerate(words) if w.strip(_AROUND) in firsts or (english and w[:1] == "$")
    ]


def _apply_rule(words: list[str], j: int, rules: _Rules) -> bool:
    """Apply the rule that matches at ``words[j]`` in place; False if none does."""
    token = words[j]
    core = token.strip(_AROUND)
    before, after = token[: token.index(core)], token[token.index(core) + len(core) :]
    if j + 1 < len(words):
        following = words[j + 1].strip(_AROUND)
        tail = words[j + 1][words[j + 1].index(following) + len(following) :]
        pair = rules.pairs.get((core, following))
        if pair is not None:
            words[j : j + 2] = [before + pair + tail]
            return True
        if rules.english and following in _MONEY_WORD and _MONEY_AMOUNT.fullmatch(core):
            words[j : j + 2] = [before + core + _MONEY_WORD[following] + tail]
            return True
    if core in rules.words:
        replacement = rules.words[core]
        if replacement.endswith(".") and after.startswith("."):
            after = after[1:]
        words[j] = before + replacement + after
        return True
    if not rules.english:
        return False
    short = _MONEY_SHORT.fullmatch(core)
    if short:
        unit = {v: k for k, v in _MONEY_WORD.items()}[short.group(2)]
        words[j] = f"{before}{short.group(1)} {unit}{after}"
        return True
    if core.rstrip(".") in _DAYS:
        if j and words[j - 1] in ("on", "On"):
            del words[j - 1]  # "on Friday" -> "Friday"
        else:
            words[j] = ("On " if j == 0 else "on ") + token
        return True
    return False


def _copy_edit(
    paragraphs: list[str],
    language: str | None,
    count: int,
    rng: random.Random,
    *,
    rewrite: bool = False,
) -> int:
    """Change about ``count`` words in place; return how many were changed.

    A copy editor's changes: the language's swaps (spelling, "on Friday", "$1tn",
    contractions, numbers) and dropped filler words or a trimmed word (the only
    changes in languages without rules). A rewrite also uses synonyms and swaps
    neighbouring words, as a sub-editor rewording sentences. The changes come in
    clusters of about :data:`_EDITS_PER_PARAGRAPH` per paragraph (an editor who
    touches a paragraph rarely changes just one word; one scan of it finds them all).
    """
    if count <= 0 or not paragraphs:
        return 0
    rules = _rules(language, rewrite) if language in _SWAPS else None
    touched = min(len(paragraphs), max(1, round(count / _EDITS_PER_PARAGRAPH)))
    chosen = rng.sample(range(len(paragraphs)), touched)
    per_paragraph = [count // touched + (n < count % touched) for n in range(touched)]
    done = 0
    for i, edits in zip(chosen, per_paragraph, strict=True):
        paragraphs[i], changed = _edit_paragraph(paragraphs[i], edits, rules, rng, rewrite)
        done += changed
    return done


# How many copy edits land in one paragraph at a time (see _copy_edit).
_EDITS_PER_PARAGRAPH = 3


def _edit_paragraph(
    paragraph: str, count: int, rules: _Rules | None, rng: random.Random, rewrite: bool
) -> tuple[str, int]:
    """``count`` edits of one paragraph: rule swaps where it has sites, else word edits."""
    words = paragraph.split(" ")
    if len(words) < 8:
        return paragraph, 0
    wanted = sum(rng.random() < 0.7 for _ in range(count)) if rules is not None else 0
    done = 0
    if wanted and rules is not None:
        sites = _rule_sites(words, rules)
        # Right to left, so that a rule that changes the number of words does not
        # move the sites still to come.
        for j in sorted(rng.sample(sites, min(wanted, len(sites))), reverse=True):
            done += _apply_rule(words, j, rules)
    fillers = rules.fillers if rules is not None else frozenset()
    for _ in range(count - done):
        if len(words) < 8:
            break
        if rewrite and rng.random() < 0.5:
            j = rng.randrange(1, len(words) - 2)
            words[j], words[j + 1] = words[j + 1], words[j]
        else:
            j = rng.randrange(1, len(words) - 1)
            # A filler word near the place if there is one, else a trim of the word there.
            near = [k for k in range(j, min(j + 12, len(words) - 1)) if words[k] in fillers]
            del words[near[0] if near else j]
        done += 1
    return " ".join(words), done


def _rewrite(
    paragraphs: list[str], language: str | None, rng: random.Random, context: Markov | None
) -> int:
    """Reword, reorder and add context in place, as seed 000 did to 004; return words changed."""
    rate = rng.uniform(*REWRITE_RATE)
    lede = [paragraphs[0]]
    done = _copy_edit(lede, language, round(3 * rate * _word_count(lede)), rng, rewrite=True)
    paragraphs[0] = lede[0]
    done += _copy_edit(
        paragraphs, language, round(rate * _word_count(paragraphs)), rng, rewrite=True
    )
    for _ in range(rng.randint(1, 2)):
        if len(paragraphs) > 2:
            moved = paragraphs.pop(rng.randrange(1, len(paragraphs)))
            paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), moved)
    if context is not None:
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(paragraphs))
            paragraphs[i] = paragraphs[i] + " " + context.sentence(rng)
    return done


# (str.translate with a dict is slow on long texts; four replaces are not.)
_CURLY_TO_STRAIGHT = (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'"))
_STRAIGHT_DOUBLE = re.compile(r'"([^"]*)"')
_DASH = re.compile(r" (?:\u2014|\u2013|--|-) ")
_DASHES = {"em": " \u2014 ", "double": " -- ", "hyphen": " - "}


def _house_style(text: str, outlet: Outlet) -> str:
    """The outlet's quotes and dashes."""
    if outlet.quotes == "straight":
        for curly, straight in _CURLY_TO_STRAIGHT:
            text = text.replace(curly, straight)
    else:
        text = _STRAIGHT_DOUBLE.sub("\u201c\\1\u201d", text).replace("'", "\u2019")
    return _DASH.sub(_DASHES[outlet.dashes], text)


def _split_paragraphs(paragraphs: list[str], rng: random.Random) -> int:
    out: list[str] = []
    done = 0
    for paragraph in paragraphs:
        sentences = _sentences(paragraph) if rng.random() < 0.4 else []
        if len(sentences) >= 2:
            at = rng.randrange(1, len(sentences))
            out += [_join_sentences(sentences[:at]), _join_sentences(sentences[at:])]
            done += 1
        else:
            out.append(paragraph)
    paragraphs[:] = out
    return done


def _merge_paragraphs(paragraphs: list[str], rng: random.Random) -> int:
    out: list[str] = []
    done = 0
    for paragraph in paragraphs:
        if out and rng.random() < 0.3:
            spaced = " " in paragraph
            out[-1] = out[-1] + (" " if spaced else "") + paragraph
            done += 1
        else:
            out.append(paragraph)
    paragraphs[:] = out
    return done


def _cut_sentence(paragraphs: list[str], rng: random.Random) -> bool:
    """Drop a sentence of a paragraph after the first; False when none has two."""
    for _ in range(3 if len(paragraphs) > 1 else 0):
        i = rng.randrange(1, len(paragraphs))
        sentences = _sentences(paragraphs[i])
        if len(sentences) >= 2:
            del sentences[rng.randrange(len(sentences))]
            paragraphs[i] = _join_sentences(sentences)
            return True
    return False


def _alter_headline(title: str, outlet: Outlet, rng: random.Random) -> str:
    move = rng.randrange(4)
    if move == 0:
        prefix = ("UPDATE 1-", "EXCLUSIVE-", "Breaking: ", "WATCH: ")
        return (
            rng.choice(prefix if outlet.language == "en" else ("Eilmeldung: ", "Liveticker: "))
            + title
        )
    if move == 1:
        return title + rng.choice((" - report", f" | {outlet.name}", " (video)", " \u2013 live"))
    if move == 2:
        for sep in (": ", " \u2013 ", " - ", ", "):
            if sep in title:
                return title.split(sep, 1)[rng.randrange(2)]
        return title.upper() if len(title) < 60 else title
    return " ".join(w[:1].upper() + w[1:] for w in title.split(" "))


def edit_copy(
    story: Story,
    outlet: Outlet,
    rng: random.Random,
    *,
    origin: bool,
    other_titles: Sequence[str],
    context: Markov | None = None,
) -> tuple[str, str, Edits]:
    """Make one copy of ``story`` for ``outlet``: its headline, text and what was edited.

    Args:
        story: the story (its text, one paragraph per item).
        outlet: where the copy appears (house style, inserted lines).
        rng: the corpus's random numbers.
        origin: the first publication: only the agency's dateline is added.
        other_titles: headlines for "Read more" lines.
        context: a model of the story's language, for the sentences a rewrite adds.

    Returns:
        The headline, the text (one paragraph per line) and the :class:`Edits`.
    """
    paragraphs = list(story.paragraphs)
    language = story.language
    prefix, header, tail, credit = _credit(story, outlet, rng, origin=origin)
    if origin:
        edits = Edits(origin=True, credit=credit)
        title = story.title
        inserted: list[str] = []
    else:
        (headline,) = rng.choices(list(P_HEADLINE), weights=list(P_HEADLINE.values()))
        kept = 1.0
        if rng.random() < P_TRUNCATE and len(paragraphs) > 1:
            keep = max(1, math.ceil(rng.uniform(*KEEP_RANGE) * len(paragraphs)))
            kept = keep / len(paragraphs)
            paragraphs = paragraphs[:keep]
        cut = rng.random() < P_CUT_SENTENCE and _cut_sentence(paragraphs, rng)
        copy_edits = 0
        rewrite = rng.random() < P_REWRITE
        if rewrite:
            copy_edits = _rewrite(paragraphs, language, rng, context)
        elif rng.random() < P_COPY_EDIT:
            count = round(rng.uniform(*EDIT_RATE) * _word_count(paragraphs))
            copy_edits = _copy_edit(paragraphs, language, count, rng)
        split = _split_paragraphs(paragraphs, rng) if rng.random() < P_SPLIT else 0
        merged = _merge_paragraphs(paragraphs, rng) if rng.random() < P_MERGE else 0
        if headline == "altered":
            title = _alter_headline(story.title, outlet, rng)
        elif headline == "new":
            title = _headline_from(paragraphs[0], rng)
        else:
            title = story.title
        inserted = []
        if rng.random() < P_AD and len(paragraphs) > 1:
            paragraphs.insert(rng.randrange(1, len(paragraphs)), outlet.ad)
            inserted.append("ad")
        if rng.random() < P_READ_MORE and len(paragraphs) > 1 and other_titles:
            line = outlet.read_more + rng.choice(other_titles)
            paragraphs.insert(rng.randrange(1, len(paragraphs)), line)
            inserted.append("read-more")
        edits = Edits(
            origin=False,
            headline=headline,
            kept=kept,
            cut_sentence=bool(cut),
            split=split,
            merged=merged,
            copy_edits=copy_edits,
            rewrite=rewrite,
            credit=credit,
        )
    if outlet.promo and rng.random() < P_PROMO:
        tail.append(outlet.promo)
        inserted.append("promo")
    if prefix and paragraphs:
        paragraphs[0] = prefix + paragraphs[0]
    text = _house_style("\n".join(header + paragraphs + tail), outlet)
    return title, text, replace(edits, inserted=tuple(inserted))


# --- The corpus ---------------------------------------------------------------------


def _delays(count: int, rng: random.Random) -> list[timedelta]:
    mu = math.log(MEDIAN_DELAY_MINUTES)
    minutes = sorted(min(2880.0, rng.lognormvariate(mu, 1.0)) for _ in range(count))
    return [timedelta(minutes=m) for m in minutes]


def _fetched(published: datetime, rng: random.Random) -> datetime:
    """The nightly crawl after ``published`` (02:00 UTC), give or take its run time."""
    night = published.replace(hour=2, minute=0, second=0, microsecond=0)
    if night <= published:
        night += timedelta(days=1)
    return night + timedelta(minutes=rng.randint(0, 120))


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.casefold().encode("ascii", "ignore").decode())
    return "-".join(words[:8]) or "article"


def _article(
    story: Story,
    outlet: Outlet,
    n: int,
    title: str,
    text: str,
    edits: Edits,
    true_time: datetime,
    rng: random.Random,
) -> LabelledArticle:
    article_id = f"{story.label}.{n}"
    published = None if rng.random() < P_UNDATED else true_time
    url = (
        f"https://{outlet.host}/news/{true_time:%Y/%m/%d}/{_slug(title)}-"
        f"{zlib.crc32(article_id.encode()) % 10**7}"
    )
    return LabelledArticle(
        id=article_id,
        story=story.label,
        kind=story.kind,
        family=story.family,
        source=outlet.name,
        language=story.language,
        title=title,
        text=text,
        published=published,
        fetched=_fetched(true_time, rng),
        url=url,
        edits=edits,
        agency=story.agency,
        template=outlet.template,
    )


def labelled_corpus(
    seed: int = 0, *, render: bool = True, workers: int = 1
) -> list[LabelledArticle]:
    """Build the labelled corpus (about 1,200 articles in about 350 stories).

    Args:
        seed: the corpus seed; the same seed gives the same corpus.
        render: put each article into its outlet's real page template
            (:attr:`LabelledArticle.html`); about 50 ms a page.
        workers: processes for rendering (1: in this process).

    Returns:
        The articles, story by story, origin first.
    """
    rng = random.Random(f"syndication/{seed}")
    outlets = _outlets(seed)
    stories = _stories(_real_texts(), rng)
    models = _markov_models()
    titles: dict[str | None, list[str]] = {}
    for story in stories:
        titles.setdefault(story.language, []).append(story.title)
    articles: list[LabelledArticle] = []
    for story in stories:
        pool = _eligible(outlets, story.language)
        if story.kind == "brief":
            count = 1
        else:
            (count,) = rng.choices(COPIES, weights=COPY_WEIGHTS)
        chosen = rng.sample(pool, min(count, len(pool)))
        others = [t for t in titles.get(story.language, []) if t != story.title]
        times = [timedelta(0), *_delays(len(chosen) - 1, rng)]
        for n, (outlet, delay) in enumerate(zip(chosen, times, strict=True)):
            # A brief is the only copy of its text but is never its origin: it is edited.
            origin = n == 0 and story.kind != "brief"
            title, text, edits = edit_copy(
                story,
                outlet,
                rng,
                origin=origin,
                other_titles=others,
                context=models.get(story.language or ""),
            )
            articles.append(
                _article(story, outlet, n, title, text, edits, story.published + delay, rng)
            )
    english = [o for o in outlets if o.language == "en"]
    for story, copies in _seed_stories():
        for n, (number, title, text) in enumerate(copies):
            outlet = english[(3 * int(number) + 1) % len(english)]  # five distinct outlets
            when = story.published + timedelta(minutes=40 * n)
            edits = Edits(origin=n == 0)
            article = _article(story, outlet, n, title, text, edits, when, rng)
            articles.append(replace(article, id=f"seed-{number}", published=when))
    if render:
        articles = render_pages(articles, titles, seed=seed, workers=workers)
    return articles


# --- Rendering into real templates --------------------------------------------------


def render_pages(
    articles: Sequence[LabelledArticle],
    titles: dict[str | None, list[str]],
    *,
    seed: int,
    workers: int = 1,
) -> list[LabelledArticle]:
    """Put each article into its outlet's template; return them with ``html`` set.

    Each page is drawn from its own random numbers (seeded with the corpus seed and
    the article id), so the pages do not depend on ``workers``.
    """
    jobs = [
        (
            a.template,
            a.source,
            a.url,
            a.title,
            tuple(line for line in a.text.splitlines() if line.strip()),
            a.language,
            tuple(titles.get(a.language) or titles.get("en") or [a.title]),
            f"render/{seed}/{a.id}",
        )
        for a in articles
    ]
    pages = process_map(_render_page, jobs, workers)
    return [replace(a, html=page) for a, page in zip(articles, pages, strict=True)]


_J = TypeVar("_J")
_R = TypeVar("_R")


def process_map(func: Callable[[_J], _R], jobs: Sequence[_J], workers: int) -> list[_R]:
    """``map(func, jobs)`` over ``workers`` processes (forkserver where there is one)."""
    if workers <= 1:
        return [func(job) for job in jobs]
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(workers, mp_context=context) as executor:
        return list(executor.map(func, jobs, chunksize=16))


@functools.cache
def _templates() -> dict[str, Any]:
    """The labelled real pages (``build.Truth``) by file; read-only, loaded once per process."""
    return {t.file: t for t in template_builder().load_truth()}


def _render_page(job: tuple[Any, ...]) -> str:
    template_file, source, url, title, lines, language, headlines, key = job
    build = template_builder()
    template = _templates()[template_file]
    words = build._WORDING[template.language]
    style = build._style(random.Random(f"style/{source}"), words, source)
    article = build.Truth(
        file=url, url=url, publisher=source, title=title, language=language, lines=lines
    )
    host = url.split("/")[2]
    page = build._fill(template, article, style, random.Random(key), list(headlines), words, host)
    return bytes(page).decode("utf-8")


# --- Output -------------------------------------------------------------------------


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write records as JSON lines (what ``wiredupe ingest`` reads); return how many."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
    return n


# --- Scale corpus -------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Markov:
    """A word trigram model of one language, as arrays: two words to the words seen next.

    A *state* is a pair of words; its *entries* (``offsets[s]`` to ``offsets[s + 1]``,
    one per occurrence in the training texts, so frequent continuations are drawn
    more often) give the next word (``-1``: the paragraph ends there) and the state
    that follows. Trained per paragraph, so paragraphs start and end where real ones
    do. Many paragraphs are drawn at once with numpy (:meth:`paragraphs`); single
    sentences step through the same arrays with :class:`random.Random`.
    """

    vocabulary: np.ndarray  # word id -> word (object array)
    state_words: np.ndarray  # state -> its two word ids
    starts: np.ndarray  # states that begin a paragraph (with repetition)
    offsets: np.ndarray  # state -> its first entry; one more than there are states
    next_word: np.ndarray  # entry -> word id, or -1 for the end of the paragraph
    next_state: np.ndarray  # entry -> the state after it, or -1

    @classmethod
    def train(cls, texts: Iterable[Sequence[str]]) -> Markov:
        """Count the trigrams of ``texts`` (each a sequence of paragraphs)."""
        ids: dict[str, int] = {}
        states: dict[tuple[int, int], int] = {}
        follows: list[list[int]] = []  # state -> next word ids (-1: end)
        starts = []
        for lines in texts:
            for line in lines:
                words = [ids.setdefault(w, len(ids)) for w in line.split()]
                if len(words) < 4:
                    continue
                chain = [states.setdefault(p, len(states)) for p in itertools.pairwise(words)]
                follows += [[] for _ in range(len(states) - len(follows))]
                starts.append(chain[0])
                for i, state in enumerate(chain):
                    follows[state].append(words[i + 2] if i + 2 < len(words) else -1)
        pairs = np.array(list(states), dtype=np.int64).reshape(-1, 2)
        offsets = np.zeros(len(states) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(f) for f in follows])
        next_word = np.array([w for f in follows for w in f], dtype=np.int64)
        owner = np.repeat(np.arange(len(states)), np.diff(offsets))
        next_state = np.array(
            [
                states[(int(pairs[s, 1]), int(w))] if w >= 0 else -1
                for s, w in zip(owner, next_word, strict=True)
            ],
            dtype=np.int64,
        )
        vocabulary = np.array(list(ids), dtype=object)
        return cls(vocabulary, pairs, np.array(starts), offsets, next_word, next_state)

    def paragraphs(self, count: int, rng: np.random.Generator, max_words: int = 120) -> list[str]:
        """``count`` paragraphs drawn side by side (about 20 ns a word)."""
        state = self.starts[rng.integers(len(self.starts), size=count)]
        out = np.full((count, max_words), -1, dtype=np.int64)
        out[:, :2] = self.state_words[state]
        length = np.full(count, 2)
        alive = np.arange(count)
        for step in range(2, max_words):
            s = state[alive]
            low = self.offsets[s]
            entry = low + (rng.random(alive.size) * (self.offsets[s + 1] - low)).astype(np.int64)
            word = self.next_word[entry]
            going = word >= 0
            alive, entry, word = alive[going], entry[going], word[going]
            if not alive.size:
                break
            out[alive, step] = word
            length[alive] = step + 1
            state[alive] = self.next_state[entry]
        vocabulary = self.vocabulary
        return [" ".join(vocabulary[row[:n]]) for row, n in zip(out, length, strict=True)]

    def sentence(self, rng: random.Random, max_words: int = 40) -> str:
        """One sentence: words up to the first sentence end after eight, or the paragraph end."""
        state = int(self.starts[int(rng.random() * len(self.starts))])
        words = [int(w) for w in self.state_words[state]]
        while len(words) < max_words:
            low, high = int(self.offsets[state]), int(self.offsets[state + 1])
            entry = low + int(rng.random() * (high - low))
            word = int(self.next_word[entry])
            if word < 0:
                break
            words.append(word)
            state = int(self.next_state[entry])
            if len(words) >= 8 and str(self.vocabulary[word]).endswith((".", "!", "?")):
                break
        return " ".join(self.vocabulary[words])


@functools.cache
def _markov_models() -> Mapping[str, Markov]:
    """The English and German models, trained on the real texts once per process."""
    texts = _real_texts()
    return {
        language: Markov.train(t.lines for t in texts if t.language == language)
        for language in ("en", "de")
    }


class _ParagraphPool:
    """Markov paragraphs of 12 words or more, drawn in batches and handed out in turn."""

    def __init__(self, model: Markov, rng: np.random.Generator, batch: int = 4096) -> None:
        self._model, self._rng, self._batch = model, rng, batch
        self._ready: list[str] = []

    def take(self, words: int) -> tuple[str, ...]:
        """Paragraphs adding up to at least ``words`` words."""
        out: list[str] = []
        total = 0
        while total < words:
            if not self._ready:
                drawn = self._model.paragraphs(self._batch, self._rng)
                self._ready = [p for p in drawn if p.count(" ") >= 11][::-1]
            paragraph = self._ready.pop()
            out.append(paragraph)
            total += paragraph.count(" ") + 1
        return tuple(out)


def scale_corpus(n_articles: int, seed: int = 0, days: int = 30) -> Iterator[dict[str, Any]]:
    """Yield ``n_articles`` JSON-lines records of synthetic wire copies, streamed.

    Stories are Markov texts (word trigrams trained on the real English and German
    texts, so word frequencies are realistic and every story is new), 400-900
    words, with about three copies each through :func:`edit_copy`, on outlets
    without templates. Publication times spread evenly over ``days`` days from
    2025-01-01, copies minutes to hours after their origin; the records come
    story by story, so roughly in time order.

    Args:
        n_articles: how many records.
        seed: the corpus seed.
        days: the span of publication times.

    Yields:
        Records with ``url``, ``title``, ``source``, ``published`` (ISO 8601 or
        None), ``text``, and the label fields ``id`` and ``story``.
    """
    if n_articles < 0 or days < 1:
        raise ValueError(f"need n_articles >= 0 and days >= 1, got {n_articles}, {days}")
    rng = random.Random(f"scale/{seed}")
    models = _markov_models()
    draws = np.random.default_rng(zlib.crc32(f"scale/{seed}".encode()))
    pools = {language: _ParagraphPool(model, draws) for language, model in models.items()}
    outlets = _outlets(seed)
    by_language = {language: _eligible(outlets, language) for language in models}
    stories = max(1, n_articles // 3)
    step = timedelta(days=days) / stories
    recent: list[str] = []
    made = 0
    n = 0
    while made < n_articles:
        language = "en" if rng.random() < 0.6 else "de"
        paragraphs = pools[language].take(rng.randint(400, 900))
        agency, city = _story_agency(language, rng)
        story = Story(
            label=f"s{n:07d}",
            kind="report",
            family=f"s{n:07d}",
            title=_headline_from(paragraphs[0], rng),
            paragraphs=paragraphs,
            language=language,
            published=_EPOCH + step * n + timedelta(minutes=rng.randint(0, 59)),
            agency=agency,
            city=city,
        )
        # 1 + a geometric number: mean 3, most stories 1-4 copies, a few up to 12.
        count = min(1 + int(rng.expovariate(0.4)), 12, n_articles - made)
        chosen = rng.sample(by_language[language], count)
        times = [timedelta(0), *_delays(count - 1, rng)]
        for i, (outlet, delay) in enumerate(zip(chosen, times, strict=True)):
            title, text, edits = edit_copy(
                story, outlet, rng, origin=i == 0, other_titles=recent, context=models[language]
            )
            article = _article(story, outlet, i, title, text, edits, story.published + delay, rng)
            yield replace(article, template=None).record()
        recent = [story.title, *recent[:49]]
        made += count
        n += 1


# --- Command line -------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--write", type=Path, metavar="PATH", help="write the labelled corpus")
    parser.add_argument("--html", action="store_true", help="with --write: rendered pages")
    parser.add_argument(
        "--write-scale",
        nargs=2,
        metavar=("N", "PATH"),
        help="write N synthetic articles for throughput benchmarks",
    )
    parser.add_argument("--days", type=int, default=30, help="with --write-scale: time span")
    args = parser.parse_args(argv)
    if not args.write and not args.write_scale:
        parser.error("nothing to do: give --write PATH or --write-scale N PATH")
    if args.write:
        started = time.perf_counter()
        corpus = labelled_corpus(args.seed, render=args.html, workers=2 if args.html else 1)
        n = write_jsonl((a.record(html=args.html) for a in corpus), args.write)
        stories = len({a.story for a in corpus})
        elapsed = time.perf_counter() - started
        print(f"{args.write}: {n} articles in {stories} stories ({elapsed:.1f}s)")
    if args.write_scale:
        count, path = int(args.write_scale[0]), Path(args.write_scale[1])
        started = time.perf_counter()
        n = write_jsonl(scale_corpus(count, args.seed, args.days), path)
        print(f"{path}: {n} articles ({time.perf_counter() - started:.1f}s)")


if __name__ == "__main__":
    main()
