from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from dedupe.explain import CopyChanges, _lines, explain_copies, explain_copy
from dedupe.normalize import normalize_text, tokens
from tests.conftest import seed_texts

ROOT = Path(__file__).resolve().parents[2]
TITLE = "OpenAI, Foxconn team up on AI data centre hardware"


@pytest.fixture(scope="module")
def paragraphs() -> list[str]:
    """The AFP dispatch of seed 000: twelve paragraphs, one per line."""
    lines = [line for line in seed_texts()["000"].splitlines() if line.strip()]
    assert len(lines) == 12, "seed 000 changed: these tests count its twelve paragraphs"
    return lines


def truth_rows() -> list[dict[str, str]]:
    path = ROOT / "tests/fixtures/real_pages/truth.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def words(text: str) -> int:
    return len(tokens(normalize_text(text)))


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the seed paragraph"
    return text.replace(old, new)


def test_identical_copy_keeps_everything(paragraphs: list[str]) -> None:
    text = "\n".join(paragraphs)
    assert explain_copy(TITLE, text, TITLE, text) == CopyChanges(
        headline_changed=False,
        paragraphs_kept=12,
        paragraphs_edited=0,
        paragraphs_cut=0,
        paragraphs_added=0,
        kept_share=1.0,
        words_changed=0,
    )


def test_truncated_copy_cuts_the_tail(paragraphs: list[str]) -> None:
    origin = "\n".join(paragraphs)
    kept = paragraphs[: round(len(paragraphs) * 0.6)]  # the first 7
    changes = explain_copy(TITLE, origin, TITLE, "\n".join(kept))
    assert (changes.paragraphs_kept, changes.paragraphs_edited) == (7, 0)
    assert (changes.paragraphs_cut, changes.paragraphs_added) == (5, 0)
    assert changes.kept_share == round(words("\n".join(kept)) / words(origin), 3)
    assert changes.words_changed == 0
    assert changes.kept_share == 0.593  # 200 of the 337 words
    assert changes.summary() == "7 of 12 paragraphs kept, 5 cut; 59% of the origin"


def test_split_and_merged_paragraphs_are_kept(paragraphs: list[str]) -> None:
    copy = list(paragraphs)
    # Paragraph 8 (index 7) split after its first sentence.
    first, second = copy[7].split(". ", 1)
    copy[7:8] = [first + ".", second]
    # Paragraphs 2 and 3 merged into one.
    copy[1:3] = [copy[1] + " " + copy[2]]
    assert len(copy) == 12
    changes = explain_copy(TITLE, "\n".join(paragraphs), TITLE, "\n".join(copy))
    assert changes == CopyChanges(False, 12, 0, 0, 0, 1.0, 0)


def test_copy_edits_are_counted(paragraphs: list[str]) -> None:
    copy = list(paragraphs)
    copy[0] = replace_once(copy[0], "announced on Friday", "announced Friday")  # 1 word dropped
    copy[4] = replace_once(copy[4], "$1 trillion dollars", "$1tn dollars")  # 2 words -> 1
    copy[10] = replace_once(copy[10], "favour", "favor")  # 1 word respelt
    origin = "\n".join(paragraphs)
    changes = explain_copy(TITLE, origin, TITLE, "\n".join(copy))
    assert (changes.paragraphs_kept, changes.paragraphs_edited) == (9, 3)
    assert (changes.paragraphs_cut, changes.paragraphs_added) == (0, 0)
    assert changes.words_changed == 4
    # "on", "1", "trillion" and "favour" are the origin words missing from the copy.
    assert changes.kept_share == round((words(origin) - 4) / words(origin), 3)


def test_words_between_close_edits_are_kept(paragraphs: list[str]) -> None:
    # "valuations sharply" sits between two edits: no 4-word n-gram holds it.
    copy = list(paragraphs)
    copy[6] = replace_once(
        copy[6], "pushed valuations sharply higher", "driven valuations sharply up"
    )
    origin = "\n".join(paragraphs)
    changes = explain_copy(TITLE, origin, TITLE, "\n".join(copy))
    assert (changes.paragraphs_kept, changes.paragraphs_edited, changes.words_changed) == (11, 1, 2)
    assert changes.kept_share == round((words(origin) - 2) / words(origin), 3)


def test_words_put_in_mark_the_paragraph_edited(paragraphs: list[str]) -> None:
    copy = list(paragraphs)
    copy[8] = replace_once(copy[8], "Tseng said", "Tseng reportedly said")
    changes = explain_copy(TITLE, "\n".join(paragraphs), TITLE, "\n".join(copy))
    assert (changes.paragraphs_kept, changes.paragraphs_edited, changes.words_changed) == (11, 1, 1)
    assert changes.kept_share == 1.0


def test_inserted_lines_and_datelines_are_not_changes(paragraphs: list[str]) -> None:
    copy = list(paragraphs)
    copy[0] = "TAIPEI (AFP) - " + copy[0]
    copy.insert(3, "ADVERTISEMENT")
    copy.insert(7, "Read more: Nvidia results beat forecasts as AI spending booms")
    copy.insert(0, "by AFP Staff Writers")
    changes = explain_copy(TITLE, "\n".join(paragraphs), TITLE, "\n".join(copy))
    assert changes == CopyChanges(False, 12, 0, 0, 0, 1.0, 0)


def test_outlet_paragraph_is_added(paragraphs: list[str]) -> None:
    copy = list(paragraphs)
    copy.insert(4, "Our newsroom asked Foxconn about local jobs but had no reply by publication.")
    changes = explain_copy(TITLE, "\n".join(paragraphs), TITLE, "\n".join(copy))
    assert changes == CopyChanges(False, 12, 0, 0, 1, 1.0, 0)
    assert changes.summary() == "12 of 12 paragraphs kept, 1 added; 100% of the origin"


def test_short_paragraph_after_an_edit_and_before_a_cut_is_kept(
    paragraphs: list[str],
) -> None:
    # A three-word subheading is too short for an anchor of its own; the copy
    # edits the word before it and cuts everything after it.
    origin = [*paragraphs[:10], "Taiwan risk factor", *paragraphs[10:]]
    copy = [*paragraphs[:9], replace_once(paragraphs[9], "told AFP", "told reporters"), origin[10]]
    changes = explain_copy(TITLE, "\n".join(origin), TITLE, "\n".join(copy))
    kept_words = words("\n".join(origin[:11])) - 1  # all but "AFP"
    assert changes == CopyChanges(
        False, 10, 1, 2, 0, round(kept_words / words("\n".join(origin)), 3), 1
    )


def test_short_paragraph_between_cuts_is_kept(paragraphs: list[str]) -> None:
    # The copy cuts paragraphs 9 and 10 and everything after the subheading.
    origin = [*paragraphs[:10], "Taiwan risk factor", *paragraphs[10:]]
    copy = [*paragraphs[:7], replace_once(paragraphs[7], "was provided", "was given"), origin[10]]
    changes = explain_copy(TITLE, "\n".join(origin), TITLE, "\n".join(copy))
    kept_words = words("\n".join(origin[:8])) - 1 + 3  # all but "provided", and the subheading
    assert changes == CopyChanges(
        False, 8, 1, 4, 0, round(kept_words / words("\n".join(origin)), 3), 1
    )


def test_edited_start_of_the_paragraph_after_a_cut(paragraphs: list[str]) -> None:
    # No 4-word n-gram survives before "valuations": "optimism" and "ai has" are
    # found by aligning the copy's words with the end of the cut text.
    copy = [*paragraphs[:5], *paragraphs[6:]]
    copy[5] = replace_once(copy[5], "Optimism over AI has pushed", "Optimism about AI has driven")
    origin = "\n".join(paragraphs)
    changes = explain_copy(TITLE, origin, TITLE, "\n".join(copy))
    kept_words = words(origin) - words(paragraphs[5]) - 2  # all but "over" and "pushed"
    assert changes == CopyChanges(False, 10, 1, 1, 0, round(kept_words / words(origin), 3), 2)


def test_moved_paragraph_is_kept(paragraphs: list[str]) -> None:
    copy = [paragraphs[9], *paragraphs[:9], *paragraphs[10:]]
    changes = explain_copy(TITLE, "\n".join(paragraphs), TITLE, "\n".join(copy))
    assert changes == CopyChanges(False, 12, 0, 0, 0, 1.0, 0)


def test_words_put_in_at_a_paragraph_start_edit_that_paragraph(
    paragraphs: list[str],
) -> None:
    copy = list(paragraphs)
    copy[3] = replace_once(copy[3], "event in Taipei", "event in Taiwan")
    copy[4] = "Meanwhile, " + copy[4]
    changes = explain_copy(TITLE, "\n".join(paragraphs), TITLE, "\n".join(copy))
    # "Taipei" -> "Taiwan" ends paragraph 4, "Meanwhile" starts paragraph 5: one
    # place where the texts disagree, two paragraphs edited.
    assert (changes.paragraphs_kept, changes.paragraphs_edited, changes.words_changed) == (10, 2, 2)


def test_repeated_phrase_is_matched_where_the_copy_continues(paragraphs: list[str]) -> None:
    first = "The air force said it shot down most of the drones over the capital."
    last = "The air force said the attack was among the largest of the war."
    origin = "\n".join([first, *paragraphs[:6], last])
    # The copy cuts the six paragraphs (well over a hundred words) in between.
    changes = explain_copy(None, origin, None, "\n".join([first, last]))
    assert (changes.paragraphs_kept, changes.paragraphs_cut, changes.words_changed) == (2, 6, 0)


@pytest.mark.parametrize(
    ("copy_title", "changed"),
    [
        (TITLE, False),
        (TITLE + " - The Outlet", False),
        (TITLE.upper() + " | Tech Daily", False),
        ("“" + TITLE + "” — Markets — The Daily Courier", False),
        ("OpenAI and Foxconn seal a hardware deal", True),
        (TITLE + ", analysts say", True),
        (None, False),
        ("", False),
    ],
)
def test_headline_changes(paragraphs: list[str], copy_title: str | None, changed: bool) -> None:
    text = "\n".join(paragraphs)
    assert explain_copy(TITLE, text, copy_title, text).headline_changed is changed
    assert explain_copy(None, text, copy_title, text).headline_changed is False


def test_origin_outlet_suffix_is_ignored_too(paragraphs: list[str]) -> None:
    text = "\n".join(paragraphs)
    assert not explain_copy(TITLE + " - Taipei Times", text, TITLE, text).headline_changed
    assert explain_copy(TITLE + " - Taipei Times", text, "Foxconn deal", text).headline_changed


def test_unrelated_text_is_all_cut_and_added(paragraphs: list[str]) -> None:
    other = next(row for row in truth_rows() if row["file"] == "pages/uk/BBC_2024_08_01.html.gz")
    copy_paragraphs = len([line for line in other["text"].splitlines() if tokens(line)])
    changes = explain_copy(TITLE, "\n".join(paragraphs), other["title"], other["text"])
    assert changes.headline_changed
    assert (changes.paragraphs_kept, changes.paragraphs_edited) == (0, 0)
    assert changes.paragraphs_cut == 12
    assert changes.paragraphs_added == copy_paragraphs
    assert changes.kept_share < 0.05
    assert changes.words_changed == 0


def test_copies_of_one_origin_in_one_call(paragraphs: list[str]) -> None:
    origin = "\n".join(paragraphs)
    copies = [
        (TITLE + " - The Outlet", origin),
        ("Foxconn deal", "\n".join(paragraphs[:7])),
        (None, "\n".join(paragraphs[3:])),
    ]
    results = explain_copies(TITLE, origin, copies)
    assert results == [explain_copy(TITLE, origin, title, text) for title, text in copies]
    assert [r.paragraphs_cut for r in results] == [0, 5, 3]
    assert [r.headline_changed for r in results] == [False, True, False]


def test_empty_texts() -> None:
    assert explain_copy(None, "", None, "") == CopyChanges(False, 0, 0, 0, 0, 1.0, 0)
    assert explain_copy(None, "", None, "Some words.\nMore words.") == CopyChanges(
        False, 0, 0, 0, 2, 0.0, 0
    )
    assert explain_copy(None, "Some words.\nMore words.", None, "") == CopyChanges(
        False, 0, 0, 2, 0, 0.0, 0
    )
    assert explain_copy(None, "One two three", None, "One two four").paragraphs_edited == 1


def test_as_dict_is_json_ready_in_field_order() -> None:
    changes = CopyChanges(True, 4, 2, 4, 1, 0.645, 7)
    assert json.loads(json.dumps(changes.as_dict())) == {
        "headline_changed": True,
        "paragraphs_kept": 4,
        "paragraphs_edited": 2,
        "paragraphs_cut": 4,
        "paragraphs_added": 1,
        "kept_share": 0.645,
        "words_changed": 7,
    }
    assert list(changes.as_dict()) == [
        "headline_changed",
        "paragraphs_kept",
        "paragraphs_edited",
        "paragraphs_cut",
        "paragraphs_added",
        "kept_share",
        "words_changed",
    ]
    assert changes.summary() == (
        "new headline; 6 of 10 paragraphs kept (2 edited), 4 cut, 1 added; 64% of the origin"
    )
    assert CopyChanges(False, 1, 0, 0, 0, 0.999, 0).summary() == (
        "1 of 1 paragraph kept; 99% of the origin"
    )


def test_words_match_the_normalize_tokens() -> None:
    # explain.py splits text itself (faster); it must give the words tokens() gives.
    for row in truth_rows():
        text = row["text"]
        expected = [w for line in normalize_text(text).splitlines() for w in tokens(line)]
        assert [w for line in _lines(text) for w in line.split()] == expected


@pytest.mark.parametrize(
    "text",
    [
        "Plain ASCII, with snake_case and 3.5% (points).\nSecond line!",
        "Prices rose 5°C and €12 or £3; co\u00adoperation, na\u00efve caf\u00e9.",
        "Zürich – Straße\u2060(x²) ½ 東京都 ĳ ﬁ\n\u0915\u094d\u0937 a\u0301b",
        "مرحبا بالعالم\u200f! שלום… ‹quoted› ⇥ tab",
        "stray \ud800 surrogate\n\n\u3000ideographic space",
    ],
)
def test_words_match_the_normalize_tokens_on_unusual_characters(text: str) -> None:
    expected = [tokens(line) for line in normalize_text(text).split("\n")]
    assert [line.split() for line in _lines(text)] == expected


def test_copy_of_a_very_long_origin_is_explained(paragraphs: list[str]) -> None:
    # Over 60,000 distinct words: more than the characters made once for coding
    # words, and past the surrogates, which are not used.
    words = [f"w{i}" for i in range(60_000)]
    origin = " ".join(words)
    copy = " ".join([*words[:59_000], "changed", *words[59_001:]])
    assert explain_copy(None, origin, None, copy) == CopyChanges(
        False, 0, 1, 0, 0, round(59_999 / 60_000, 3), 1
    )


def test_long_and_pathological_texts_stay_fast(paragraphs: list[str]) -> None:
    # 20,000 words: the origin repeated (every n-gram occurs many times), against
    # copies with an edit every 5th word, with every other 10 words replaced, and
    # with nothing in common.
    base = tokens(normalize_text("\n".join(paragraphs)))
    origin_words = (base * (20_000 // len(base) + 1))[:20_000]
    origin = " ".join(origin_words)
    copies = [
        " ".join(w if i % 5 else "edited" for i, w in enumerate(origin_words)),
        " ".join(w if (i // 10) % 2 else f"new{i}" for i, w in enumerate(origin_words)),
        " ".join(f"other{i}" for i in range(20_000)),
    ]
    for copy in copies:
        start = time.perf_counter()
        explain_copy(None, origin, None, copy)
        # 20-40 ms of CPU here; the bound only catches a return to quadratic time.
        assert time.perf_counter() - start < 1.0
