"""Scoring a grouping against labels: pairwise and B-cubed measures, adjusted Rand index.

Used by the grouping benchmark and by the quality gate in the tests.

Pairwise measures count pairs of items, so a group of ``n`` weighs about ``n²``:
one wrongly merged pair of large groups costs much. B-cubed measures average over
items, so every article weighs the same, whatever the size of its group. The
adjusted Rand index corrects the pair agreement for chance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from math import comb
from typing import TypeVar

__all__ = ["GroupingScore", "score_grouping"]

# The item type: any hashable, the same on both sides (Mapping keys are invariant).
_Item = TypeVar("_Item", bound=Hashable)


@dataclass(frozen=True)
class GroupingScore:
    """Pairwise precision, recall and F1, the adjusted Rand index, and B-cubed measures."""

    precision: float
    recall: float
    f1: float
    ari: float
    true_pairs: int
    predicted_pairs: int
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float


def score_grouping(
    predicted: Mapping[_Item, Hashable], truth: Mapping[_Item, Hashable]
) -> GroupingScore:
    """Compare a predicted grouping with the true one, item by item.

    Pairwise: a pair of items counts as predicted (true) when both are in one
    predicted (true) group. Precision is the share of predicted pairs that are true,
    recall the share of true pairs that are predicted. With no pairs on a side, that
    side's measure is 1.0 (nothing claimed, nothing missed). The adjusted Rand
    index is 1.0 for identical partitions and about 0.0 for a random one.

    B-cubed (Bagga and Baldwin, 1998; Amigó et al., 2009): with ``P(i)`` the
    predicted group of item ``i``, ``T(i)`` its true group and ``N`` items::

        precision = (1/N) Σ_i |P(i) ∩ T(i)| / |P(i)|
        recall    = (1/N) Σ_i |P(i) ∩ T(i)| / |T(i)|
        F1        = 2 · precision · recall / (precision + recall)

    Each item counts itself, so singletons score 1.0 on both sides when they are
    singletons in the truth too. With no items every measure is 1.0.

    Args:
        predicted: item to predicted group.
        truth: item to true group; must hold the same items.

    Returns:
        The scores.

    Raises:
        ValueError: the two mappings do not hold the same items.

    Example:
        >>> s = score_grouping({1: "a", 2: "a", 3: "b"}, {1: "x", 2: "y", 3: "y"})
        >>> s.precision, s.recall, round(s.bcubed_precision, 3), round(s.bcubed_recall, 3)
        (0.0, 0.0, 0.667, 0.667)
    """
    if predicted.keys() != truth.keys():
        raise ValueError("predicted and true groupings must hold the same items")
    joint = Counter((predicted[item], truth[item]) for item in truth)
    pred_sizes = Counter(predicted.values())
    true_sizes = Counter(truth.values())
    both = sum(comb(n, 2) for n in joint.values())
    pred_pairs = sum(comb(n, 2) for n in pred_sizes.values())
    true_pairs = sum(comb(n, 2) for n in true_sizes.values())
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = _harmonic(precision, recall)
    total = comb(len(truth), 2)
    expected = pred_pairs * true_pairs / total if total else 0.0
    maximum = (pred_pairs + true_pairs) / 2
    ari = 1.0 if maximum == expected else (both - expected) / (maximum - expected)
    # Each cell (predicted group p, true group t) holds n items, and each of them
    # has |P(i) ∩ T(i)| = n: the cell adds n·n/|p| to the precision sum.
    items = len(truth)
    if items:
        b_precision = sum(n * n / pred_sizes[p] for (p, _), n in joint.items()) / items
        b_recall = sum(n * n / true_sizes[t] for (_, t), n in joint.items()) / items
    else:
        b_precision = b_recall = 1.0
    return GroupingScore(
        precision=precision,
        recall=recall,
        f1=f1,
        ari=ari,
        true_pairs=true_pairs,
        predicted_pairs=pred_pairs,
        bcubed_precision=b_precision,
        bcubed_recall=b_recall,
        bcubed_f1=_harmonic(b_precision, b_recall),
    )


def _harmonic(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0
