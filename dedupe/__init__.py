"""Near-duplicate detection: normalisation, shingles, MinHash, LSH and story groups.

Plain data in, plain data out: this package imports nothing else of wiredupe.
"""

from dedupe.agency import AgencyCredit, detect_agency, majority_agency
from dedupe.config import DedupeConfig
from dedupe.errors import DedupeConfigError, DedupeError, SignatureFormatError
from dedupe.evaluate import GroupingScore, score_grouping
from dedupe.explain import CopyChanges, explain_copies, explain_copy
from dedupe.grouping import (
    GroupingResult,
    GroupMember,
    GroupSummary,
    Match,
    NewArticle,
    NewGroup,
    Placer,
    SignedArticle,
    WindowArticle,
    assign_groups,
    placement_order,
    sign_articles,
    summarize_group,
    verify,
    window_index,
)
from dedupe.index import CandidateIndex, IndexUnavailable
from dedupe.normalize import normalize_text, tokens
from dedupe.shingle import shingle_hashes, word_hashes
from dedupe.signature import (
    Signature,
    estimate_containment,
    estimate_jaccard,
    from_bytes,
    sign_normalized,
    sign_texts,
    to_bytes,
)

__all__ = [
    "AgencyCredit",
    "CandidateIndex",
    "CopyChanges",
    "DedupeConfig",
    "DedupeConfigError",
    "DedupeError",
    "GroupMember",
    "GroupSummary",
    "GroupingResult",
    "GroupingScore",
    "IndexUnavailable",
    "Match",
    "NewArticle",
    "NewGroup",
    "Placer",
    "Signature",
    "SignatureFormatError",
    "SignedArticle",
    "WindowArticle",
    "assign_groups",
    "detect_agency",
    "estimate_containment",
    "estimate_jaccard",
    "explain_copies",
    "explain_copy",
    "from_bytes",
    "majority_agency",
    "normalize_text",
    "placement_order",
    "score_grouping",
    "shingle_hashes",
    "sign_articles",
    "sign_normalized",
    "sign_texts",
    "summarize_group",
    "to_bytes",
    "tokens",
    "verify",
    "window_index",
    "word_hashes",
]
