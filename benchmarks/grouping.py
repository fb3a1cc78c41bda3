"""Grouping quality on the labelled demo web, against a plain datasketch baseline.

Every article page of the bundled demo web (``demo/sites``, labels in
``demo/truth.json``) is extracted with wiredupe's extractor, then grouped:

- by wiredupe's dedupe (normalisation, word shingles, MinHash LSH as a candidate
  filter, verification by estimated Jaccard and containment, no chaining), over a
  small sweep of settings around the defaults;
- by a plain datasketch baseline: word 5-shingles of the raw text, 128
  permutations, LSH threshold 0.8, connected components of the LSH candidates.

It prints pairwise precision/recall/F1 and the adjusted Rand index for each.

Run: ``.venv/bin/python benchmarks/grouping.py``
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from itertools import product

from datasketch import MinHash, MinHashLSH

from dedupe import DedupeConfig, NewArticle, assign_groups, score_grouping
from demo.build_sites import DEMO, SITES_DIR, page_file
from extract import extract_article

T0 = datetime(2025, 11, 22, tzinfo=UTC)


def load_articles() -> tuple[list[str], list[str], list[datetime | None]]:
    """Extract every labelled demo article; return texts, labels and dates."""
    truth = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))
    texts, labels, dates = [], [], []
    for item in truth["articles"]:
        path = page_file(SITES_DIR / item["site"], item["path"])
        url = f"http://{item['site']}.example{item['path']}"
        article = extract_article(path.read_bytes(), url=url, source=item["site"], fetched=T0)
        texts.append(article.text)
        labels.append(item["story"])
        dates.append(datetime.fromisoformat(item["published"].replace("Z", "+00:00")))
    return texts, labels, dates


def wiredupe_groups(
    texts: list[str], dates: list[datetime | None], config: DedupeConfig
) -> dict[int, object]:
    new = [NewArticle(i, t, d, T0) for i, (t, d) in enumerate(zip(texts, dates, strict=True))]
    return dict(assign_groups(new, [], config).assignments)


def baseline_groups(texts: list[str]) -> dict[int, object]:
    """Plain datasketch: raw word 5-shingles, 128 perms, LSH 0.8, connected components."""
    sets = []
    for text in texts:
        words = re.findall(r"\w+", text.lower())
        sets.append(sorted({" ".join(words[i : i + 5]).encode() for i in range(len(words) - 4)}))
    minhashes = MinHash.bulk(sets, num_perm=128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for i, m in enumerate(minhashes):
        lsh.insert(i, m)
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(minhashes):
        for j in lsh.query(m):
            parent[find(i)] = find(int(j))
    return {i: find(i) for i in range(len(texts))}


def main() -> None:
    started = time.perf_counter()
    texts, labels, dates = load_articles()
    truth = dict(enumerate(labels))
    stories = len(set(labels))
    pairs = score_grouping(dict(enumerate(range(len(labels)))), truth).true_pairs
    print(
        f"demo web: {len(texts)} articles in {stories} stories, {pairs} true pairs "
        f"(extracted in {time.perf_counter() - started:.1f}s)"
    )
    base = score_grouping(baseline_groups(texts), truth)
    print("\nmethod                                        P      R      F1     ARI")
    print(
        f"baseline datasketch (w5, 128, LSH 0.8, CC)  {base.precision:6.3f} {base.recall:6.3f} "
        f"{base.f1:6.3f} {base.ari:6.3f}"
    )
    default = DedupeConfig()
    rows = []
    for size, perms, containment, jaccard in product(
        (2, 3, 4, 5), (128, 256), (0.3, 0.4, 0.5), (0.08, 0.12, 0.16)
    ):
        config = DedupeConfig(
            shingle_size=size, num_perm=perms, min_containment=containment, min_jaccard=jaccard
        )
        score = score_grouping(wiredupe_groups(texts, dates, config), truth)
        rows.append((config, score))
    best = sorted(rows, key=lambda r: (r[1].f1, r[1].ari), reverse=True)
    for config, score in [r for r in rows if r[0] == default] + best[:8]:
        marker = " (default)" if config == default else ""
        print(
            f"wiredupe w{config.shingle_size} p{config.num_perm} C>={config.min_containment} "
            f"J>={config.min_jaccard}{marker:<10} {score.precision:6.3f} {score.recall:6.3f} "
            f"{score.f1:6.3f} {score.ari:6.3f}"
        )
    perfect = sum(1 for _, s in rows if s.f1 == 1.0)
    print(f"\n{perfect} of {len(rows)} swept settings group the demo web perfectly (F1 = 1).")
    print(f"total {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
