import pytest

from extract.scoring import score_page, shingles, summarize

TRUTH = "one two three four five six seven eight"


def test_identical_texts_score_one():
    score = score_page(TRUTH, TRUTH)
    assert (score.tp, score.fp, score.fn) == (5, 0, 0)
    assert (score.precision, score.recall, score.leak) == (1.0, 1.0, False)


def test_boilerplate_lowers_precision_and_leaks():
    score = score_page(TRUTH + " subscribe to our daily newsletter now", TRUTH)
    assert score.recall == 1.0
    assert score.precision == pytest.approx(5 / 11)
    assert score.leak


def test_shingles_are_a_multiset_of_unicode_words():
    assert shingles("Grüße aus Köln, Grüße aus Köln")[("Grüße", "aus", "Köln", "Grüße")] == 1
    assert sum(shingles("a b c d a b c d").values()) == 5
    assert shingles("ab, cd") == {("ab", "cd"): 1}
    assert not shingles("  ...  ")


def test_empty_and_short_texts():
    assert (score_page("", TRUTH).precision, score_page("", TRUTH).recall) == (1.0, 0.0)
    assert not score_page("", TRUTH).leak
    assert (score_page(TRUTH, "").precision, score_page(TRUTH, "").recall) == (0.0, 1.0)
    assert (score_page("", "").precision, score_page("", "").recall) == (1.0, 1.0)
    assert score_page("two words", "two words").precision == 1.0
    assert score_page("two words", "other words").recall == 0.0


def test_summary_is_macro_average():
    summary = summarize([score_page(TRUTH, TRUTH), score_page("", TRUTH)])
    assert (summary.pages, summary.precision, summary.recall) == (2, 1.0, 0.5)
    assert summary.f1 == pytest.approx(2 / 3)
    assert summary.leak_share == 0.0


def test_summary_of_nothing_says_so():
    with pytest.raises(ValueError, match="at least one page"):
        summarize([])
