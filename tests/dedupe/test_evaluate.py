from __future__ import annotations

import pytest

from dedupe import score_grouping

# Five articles: two stories of two copies and one singleton.
TRUTH = {1: "a", 2: "a", 3: "b", 4: "b", 5: "c"}


def test_a_perfect_grouping_scores_one_everywhere() -> None:
    score = score_grouping({1: 10, 2: 10, 3: 11, 4: 11, 5: 12}, TRUTH)
    assert (score.precision, score.recall, score.f1, score.ari) == (1.0, 1.0, 1.0, 1.0)
    assert (score.bcubed_precision, score.bcubed_recall, score.bcubed_f1) == (1.0, 1.0, 1.0)
    assert (score.true_pairs, score.predicted_pairs) == (2, 2)


def test_everything_in_one_group() -> None:
    score = score_grouping(dict.fromkeys(TRUTH, 0), TRUTH)
    # Pairs: 10 predicted, 2 true, both true ones among them.
    assert score.precision == pytest.approx(0.2)
    assert score.recall == 1.0
    # B-cubed precision: four items share their group of 5 with 2 of their story, one with 1.
    assert score.bcubed_precision == pytest.approx((4 * 2 / 5 + 1 / 5) / 5)
    assert score.bcubed_recall == 1.0
    assert score.bcubed_f1 == pytest.approx(2 * 0.36 / 1.36)


def test_every_item_alone() -> None:
    score = score_grouping({k: k for k in TRUTH}, TRUTH)
    assert (score.precision, score.recall, score.f1) == (1.0, 0.0, 0.0)
    # B-cubed recall: the four copies each find half their story, the singleton all of it.
    assert score.bcubed_precision == 1.0
    assert score.bcubed_recall == pytest.approx((4 * 0.5 + 1.0) / 5)
    assert score.bcubed_f1 == pytest.approx(0.75)


def test_uneven_grouping_hand_computed() -> None:
    # Predicted A={1,2,3} B={4,5} C={6}; true x={1,2} y={3,4,5,6}. Every measure
    # differs from the others here, so a swapped or mis-weighted formula fails.
    predicted = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "C"}
    truth = {1: "x", 2: "x", 3: "y", 4: "y", 5: "y", 6: "y"}
    score = score_grouping(predicted, truth)
    # Pairs: predicted 3 + 1 = 4, true 1 + 6 = 7, in both: (1,2) and (4,5).
    assert (score.predicted_pairs, score.true_pairs) == (4, 7)
    assert score.precision == pytest.approx(2 / 4)
    assert score.recall == pytest.approx(2 / 7)
    assert score.f1 == pytest.approx(4 / 11)
    # ARI: expected agreement 4 * 7 / 15, maximum (4 + 7) / 2.
    assert score.ari == pytest.approx((2 - 28 / 15) / (5.5 - 28 / 15))
    # B-cubed precision per item: 2/3, 2/3, 1/3, 1, 1, 1 -> 14/3 / 6.
    assert score.bcubed_precision == pytest.approx(7 / 9)
    # B-cubed recall per item: 1, 1, 1/4, 2/4, 2/4, 1/4 -> 3.5 / 6.
    assert score.bcubed_recall == pytest.approx(7 / 12)
    assert score.bcubed_f1 == pytest.approx(2 / 3)


def test_swapping_prediction_and_truth_swaps_precision_and_recall() -> None:
    predicted = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "C"}
    truth = {1: "x", 2: "x", 3: "y", 4: "y", 5: "y", 6: "y"}
    forward, backward = score_grouping(predicted, truth), score_grouping(truth, predicted)
    assert forward.precision == pytest.approx(backward.recall)
    assert forward.bcubed_precision == pytest.approx(backward.bcubed_recall)
    assert forward.bcubed_recall == pytest.approx(backward.bcubed_precision)
    assert forward.ari == pytest.approx(backward.ari)


def test_group_names_do_not_matter() -> None:
    renamed = score_grouping({1: "q", 2: "q", 3: 7, 4: 7, 5: None}, TRUTH)
    assert renamed.bcubed_f1 == 1.0 and renamed.ari == 1.0


def test_empty_and_mismatched_groupings() -> None:
    empty = score_grouping({}, {})
    assert (empty.f1, empty.ari, empty.bcubed_f1) == (1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="same items"):
        score_grouping({1: 0}, TRUTH)
