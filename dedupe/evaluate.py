"""Scoring a grouping against labels: pairwise precision/recall/F1 and adjusted Rand index.

Used by the grouping benchmark and by the quality gate in the tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from math import comb

__all__ = ["GroupingScore", "score_grouping"]


@dataclass(frozen=True)
class GroupingScore:
    """Pairwise precision, recall and F1, and the adjusted Rand index."""

    precision: float
    recall: float
    f1: float
    ari: float
    true_pairs: int
    predicted_pairs: int


def score_grouping(
    predicted: Mapping[Hashable, Hashable], truth: Mapping[Hashable, Hashable]
) -> GroupingScore:
    """Compare a predicted grouping with the true one, item by item.

    A pair of items counts as predicted (true) when both are in one predicted (true)
    group. Precision is the share of predicted pairs that are true, recall the share
    of true pairs that are predicted. With no pairs on a side, that side's measure
    is 1.0 (nothing claimed, nothing missed). The adjusted Rand index is 1.0 for
    identical partitions and about 0.0 for a random one.

    Args:
        predicted: item to predicted group.
        truth: item to true group; must hold the same items.

    Raises:
        ValueError: the two mappings do not hold the same items.
    """
    if predicted.keys() != truth.keys():
        raise ValueError("predicted and true groupings must hold the same items")
    joint = Counter((predicted[item], truth[item]) for item in truth)
    both = sum(comb(n, 2) for n in joint.values())
    pred_pairs = sum(comb(n, 2) for n in Counter(predicted.values()).values())
    true_pairs = sum(comb(n, 2) for n in Counter(truth.values()).values())
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = comb(len(truth), 2)
    expected = pred_pairs * true_pairs / total if total else 0.0
    maximum = (pred_pairs + true_pairs) / 2
    ari = 1.0 if maximum == expected else (both - expected) / (maximum - expected)
    return GroupingScore(precision, recall, f1, ari, true_pairs, pred_pairs)
