from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from datasketch import MinHash

from dedupe import (
    DedupeConfig,
    DedupeConfigError,
    GroupMember,
    NewArticle,
    NewGroup,
    SignatureFormatError,
    WindowArticle,
    assign_groups,
    detect_agency,
    estimate_containment,
    estimate_jaccard,
    from_bytes,
    majority_agency,
    normalize_text,
    score_grouping,
    shingle_hashes,
    sign_texts,
    summarize_group,
    to_bytes,
    tokens,
    word_hashes,
)
from tests.conftest import seed_texts

ROOT = Path(__file__).resolve().parents[2]

T0 = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)
CFG = DedupeConfig()


def _new(texts: dict[str, str]) -> list[NewArticle]:
    return [
        NewArticle(int(k), text, T0 + timedelta(minutes=int(k)), T0) for k, text in texts.items()
    ]


def _partition(result_assignments: dict[int, object]) -> set[frozenset[int]]:
    groups: dict[object, set[int]] = {}
    for article, group in result_assignments.items():
        groups.setdefault(group, set()).add(article)
    return {frozenset(g) for g in groups.values()}


def test_seed_copies_group_and_rewrites_stay_apart() -> None:
    result = assign_groups(_new(seed_texts()), [], CFG)
    assert _partition(result.assignments) == {
        frozenset({0, 4}),
        frozenset({1}),
        frozenset({2}),
        frozenset({3}),
    }, "000 and 004 are one AFP dispatch; 001-003 are independent rewrites"


def test_grouping_does_not_depend_on_arrival_order() -> None:
    # The demo web's 54 true article texts (10 stories with 2-4 copies), all with
    # the same timestamps, so that only the ids and the algorithm fix the order.
    truth = json.loads((ROOT / "demo" / "truth.json").read_text(encoding="utf-8"))
    texts = [a["text"] for a in truth["articles"]]
    labels = {i: a["story"] for i, a in enumerate(truth["articles"])}
    articles = [NewArticle(i, text, None, T0) for i, text in enumerate(texts)]
    expected = _partition(assign_groups(articles, [], CFG).assignments)
    assert score_grouping(assign_groups(articles, [], CFG).assignments, labels).f1 == 1.0
    for seed in range(5):
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        # Ids follow the shuffled order: arrival order is really different each time.
        shuffled = [NewArticle(new_id, texts[old], None, T0) for new_id, old in enumerate(order)]
        back = {new_id: old for new_id, old in enumerate(order)}
        result = assign_groups(shuffled, [], CFG).assignments
        assert _partition({back[i]: g for i, g in result.items()}) == expected


def test_a_later_night_joins_the_existing_group() -> None:
    texts = seed_texts()
    first = assign_groups(_new({"004": texts["004"], "001": texts["001"]}), [], CFG)
    group_ids = {NewGroup(0): 100, NewGroup(1): 101}
    window = [
        WindowArticle(a, group_ids[g], first.signatures[a], T0 + timedelta(minutes=a))
        for a, g in first.assignments.items()
    ]
    second = assign_groups(_new({"000": texts["000"], "002": texts["002"]}), window, CFG)
    afp_group = group_ids[first.assignments[4]]
    assert second.assignments[0] == afp_group
    assert isinstance(second.assignments[2], NewGroup)
    assert second.matches[0].article_id == 4


def test_articles_further_apart_than_the_window_do_not_match() -> None:
    texts = seed_texts()
    first = assign_groups(_new({"004": texts["004"]}), [], CFG)
    old = T0 - timedelta(days=CFG.window_days + 1)
    window = [WindowArticle(4, 100, first.signatures[4], old)]
    second = assign_groups(_new({"000": texts["000"]}), window, CFG)
    assert isinstance(second.assignments[0], NewGroup)
    recent = [WindowArticle(4, 100, first.signatures[4], T0 - timedelta(days=1))]
    assert assign_groups(_new({"000": texts["000"]}), recent, CFG).assignments[0] == 100


def _copy_with_edits(text: str, seed: int) -> str:
    """A copy of ``text`` with a few words dropped, as an editor would."""
    rng = random.Random(seed)
    words = text.split(" ")
    return " ".join(w for w in words if rng.random() > 0.02)


def test_groups_merge_when_a_new_copy_matches_both_and_they_match_each_other() -> None:
    # Two copies of one dispatch ended up in two groups (an index miss, say); a
    # third copy matches both, and the two verify directly: the groups merge into
    # the older one.
    text = seed_texts()["004"]
    a, b = sign_texts([_copy_with_edits(text, 1), _copy_with_edits(text, 2)], CFG)
    window = [WindowArticle(10, 7, a, T0), WindowArticle(11, 9, b, T0)]
    result = assign_groups(_new({"005": _copy_with_edits(text, 3)}), window, CFG)
    assert result.assignments[5] == 7
    assert result.merges == [(9, 7)]
    # A person kept 7 and 9 apart: the new copy joins its best match, nothing merges.
    kept = assign_groups(_new({"005": _copy_with_edits(text, 3)}), window, CFG, [(7, 9)])
    assert kept.merges == [] and kept.assignments[5] in (7, 9)


def test_one_shared_paragraph_does_not_glue_two_stories() -> None:
    # A new article made of one story and another story's text matches both, but
    # the two stories do not match each other: no merge.
    texts = seed_texts()
    a, b = sign_texts([texts["001"], texts["002"]], CFG)
    window = [WindowArticle(10, 7, a, T0), WindowArticle(11, 9, b, T0)]
    glued = texts["001"] + "\n" + texts["002"]
    result = assign_groups(_new({"005": glued}), window, CFG)
    assert result.merges == []
    assert result.assignments[5] in (7, 9)


def test_a_cut_copy_still_matches_by_containment() -> None:
    text = seed_texts()["004"]
    paragraphs = [p for p in text.splitlines() if p.strip()]
    half = "\n".join(paragraphs[: len(paragraphs) // 2 + 1])
    full_sig, half_sig = sign_texts([text, half], CFG)
    assert estimate_containment(full_sig, half_sig) > 0.8
    assert estimate_jaccard(full_sig, half_sig) < 0.8


def test_short_texts_do_not_join_groups() -> None:
    brief = "Foxconn and OpenAI announced a hardware deal on Friday in Taipei."
    result = assign_groups(_new({"000": brief, "001": brief}), [], CFG)
    assert len(result.new_groups) == 2


def test_signature_bytes_round_trip_little_endian() -> None:
    (sig,) = sign_texts([seed_texts()["000"]], CFG)
    data = to_bytes(sig.hashvalues)
    assert len(data) == 4 * CFG.num_perm
    assert int.from_bytes(data[:4], "little") == int(sig.hashvalues[0])
    back = from_bytes(data, CFG.num_perm)
    assert back.tolist() == sig.hashvalues.tolist()
    with pytest.raises(SignatureFormatError, match="settings make 256"):
        from_bytes(data, 256)


def test_config_errors_name_the_field() -> None:
    with pytest.raises(DedupeConfigError, match="'num_perm' = 0"):
        DedupeConfig(num_perm=0)
    with pytest.raises(DedupeConfigError, match="min_containment"):
        DedupeConfig(min_containment=1.5)
    with pytest.raises(DedupeConfigError, match="lsh_bands"):
        DedupeConfig(num_perm=64, lsh_bands=40, lsh_rows=2)


def test_origin_is_earliest_published_with_fetch_time_ties() -> None:
    sig_a, sig_b = sign_texts([seed_texts()["004"], seed_texts()["000"]], CFG)
    members = [
        GroupMember(1, T0 + timedelta(hours=2), T0, sig_a),
        GroupMember(2, T0, T0 + timedelta(hours=1), sig_b),
        GroupMember(3, T0, T0, sig_b),
        GroupMember(4, None, T0 - timedelta(days=1), sig_b),
    ]
    summary = summarize_group(members)
    assert summary.origin_id == 3
    assert summary.similarity[3] == 1.0
    assert 0.4 < summary.similarity[1] < 0.9


def test_agency_detection_and_majority() -> None:
    assert detect_agency("by AFP Staff Writers\nTaipei (AFP) Nov 21").agency == "AFP"
    assert detect_agency("WASHINGTON (AP) — Lawmakers met.").agency == "AP"
    assert detect_agency("Some text.\nWith inputs from PTI").agency == "PTI"
    assert detect_agency("Map of the area.\nScientists said the gap was wide.") is None
    byline = detect_agency("Markets fell.", byline="AFP Staff Writers")
    assert byline is not None and byline.agency == "AFP" and "byline" in byline.evidence
    assert detect_agency("Markets fell.", byline="Apple Jones") is None
    assert majority_agency(["AFP", None, "Reuters", "AFP"]) == "AFP"
    assert majority_agency(["AP", "Reuters"], prefer="Reuters") == "Reuters"
    assert majority_agency([None, None]) is None
    # Only the head (three lines) and the tail (two) are searched, blank lines skipped.
    middle = "Lead.\n\nTwo.\nThree.\nFOUR (AFP) - in the middle.\nFive.\n\nSix.\n"
    assert detect_agency(middle) is None
    assert detect_agency(middle.replace("Three.", "THREE (AFP) - x")).agency == "AFP"
    assert detect_agency(middle + "\n© Reuters\n\n").agency == "Reuters"


def test_grouping_scores() -> None:
    from dedupe import score_grouping

    truth = {1: "a", 2: "a", 3: "b", 4: "c"}
    perfect = score_grouping({1: 0, 2: 0, 3: 1, 4: 2}, truth)
    assert (perfect.precision, perfect.recall, perfect.f1, perfect.ari) == (1.0, 1.0, 1.0, 1.0)
    merged = score_grouping({1: 0, 2: 0, 3: 0, 4: 2}, truth)
    assert merged.recall == 1.0 and merged.precision == pytest.approx(1 / 3)
    assert merged.ari < 1.0
    split = score_grouping({1: 0, 2: 1, 3: 2, 4: 3}, truth)
    assert split.recall == 0.0 and split.precision == 1.0 and split.f1 == 0.0
    with pytest.raises(ValueError, match="same items"):
        score_grouping({1: 0}, truth)


def test_signatures_are_affine32_minhashes_of_the_shingles() -> None:
    # The stored format: a new datasketch default scheme must not change it.
    text = seed_texts()["000"]
    (sig,) = sign_texts(iter([text]), CFG)
    shingles = shingle_hashes(word_hashes(normalize_text(text)), CFG.shingle_size)
    expected = MinHash(num_perm=CFG.num_perm, seed=CFG.seed, scheme="affine32", hashfunc=int)
    expected.update_batch(shingles.tolist())
    assert sig.hashvalues.tolist() == expected.hashvalues.tolist()
    assert sig.shingles == len(shingles)
    assert sig.words == len(tokens(normalize_text(text)))


def test_shingle_hashes_are_stable_and_distinct() -> None:
    words = "the quick brown fox jumps over the lazy dog"
    hashed = shingle_hashes(word_hashes(words), 3)
    assert len(hashed) == 7 and hashed.dtype.name == "uint32"
    assert hashed.tolist() == sorted(set(hashed.tolist()))
    again = shingle_hashes(word_hashes(words.split(" ", 1)[1]), 3)
    assert set(again.tolist()) < set(hashed.tolist())
    assert len(shingle_hashes(word_hashes("two words"), 3)) == 1
    assert len(shingle_hashes(word_hashes(""), 3)) == 0
