"""Catalog search quality: precision@4 of on-topic prompts on the labelled set shipped in tests (goal >= 0.9).

Precision@k counts, among the top k results the catalog returns above its relevance floor, those a person
labelled on topic; a query whose results are all below the floor scores 0 (nothing useful came back). Borrowed
prompts (another prompt's style with the query's product as subject) are not counted: only genuine matches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hookforge.providers.catalog import rank

LABELS = Path(__file__).resolve().parents[1] / "tests" / "data" / "catalog_relevance.json"


def precision_at_k(labels: dict[str, Any]) -> tuple[float, list[tuple[str, float, float, int]]]:
    """Mean precision@k over the labelled queries, and (query, precision, recall@k, returned) per query."""
    k = int(labels["k"])
    rows = []
    for item in labels["queries"]:
        top = [position for position, _ in rank(item["query"])[:k]]
        relevant = set(item["relevant"])
        hits = sum(1 for position in top if position in relevant)
        recall = hits / min(k, len(relevant))
        rows.append((item["query"], hits / len(top) if top else 0.0, recall, len(top)))
    return sum(row[1] for row in rows) / len(rows), rows


def main() -> None:
    labels = json.loads(LABELS.read_text())
    mean, rows = precision_at_k(labels)
    for query, precision, recall, returned in rows:
        print(f"   p={precision:4.2f} r={recall:4.2f}  ({returned} returned)  {query}")  # noqa: T201 - benchmark output
    verdict = "meets" if mean >= labels["goal"] else "BELOW"
    recall = sum(row[2] for row in rows) / len(rows)
    print(  # noqa: T201
        f"catalog precision@{labels['k']}: {mean:.2f} over {len(rows)} labelled queries ({verdict} the goal "
        f"{labels['goal']:.2f}); recall@{labels['k']}: {recall:.2f} (the relevance floor trades recall for topic)"
    )


if __name__ == "__main__":
    main()
