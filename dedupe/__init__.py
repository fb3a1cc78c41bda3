"""Near-duplicate detection: normalisation, shingles, MinHash, LSH and story groups.

Plain data in, plain data out: this package imports nothing else of wiredupe.
"""

from dedupe.agency import AgencyCredit, detect_agency, majority_agency
from dedupe.config import DedupeConfig
from dedupe.errors import DedupeConfigError, DedupeError, SignatureFormatError
from dedupe.evaluate import GroupingScore, score_grouping
from dedupe.grouping import (
    GroupingResult,
    GroupMember,
    GroupSummary,
    NewArticle,
    NewGroup,
    WindowArticle,
    assign_groups,
    summarize_group,
)
from dedupe.index import CandidateIndex
from dedupe.normalize import normalize_text, tokens
from dedupe.shingle import word_shingles
from dedupe.signature import (
    Signature,
    estimate_containment,
    estimate_jaccard,
    from_bytes,
    sign_texts,
    to_bytes,
)

__all__ = [
    "AgencyCredit",
    "CandidateIndex",
    "DedupeConfig",
    "DedupeConfigError",
    "DedupeError",
    "GroupMember",
    "GroupSummary",
    "GroupingResult",
    "GroupingScore",
    "NewArticle",
    "NewGroup",
    "Signature",
    "SignatureFormatError",
    "WindowArticle",
    "assign_groups",
    "detect_agency",
    "estimate_containment",
    "estimate_jaccard",
    "from_bytes",
    "majority_agency",
    "normalize_text",
    "score_grouping",
    "sign_texts",
    "summarize_group",
    "to_bytes",
    "tokens",
    "word_shingles",
]
