"""The vector index: search, removal and lookup agree with brute force."""

from __future__ import annotations

import numpy as np

from edge_bridge.engine.index import CollectionIndex
from tests.edge_bridge.helpers_bridge import unit_vectors


def test_index_search_matches_brute_force() -> None:
    vectors = unit_vectors(5000, seed=7)
    index = CollectionIndex(capacity=16)
    index.add(np.arange(1, 5001), vectors)
    removed = np.arange(1, 5001, 7)
    assert index.remove(removed) == len(removed)
    assert len(index) == 5000 - len(removed)
    live = np.setdiff1d(np.arange(1, 5001), removed)
    query = unit_vectors(1, seed=8)[0]
    scores = vectors[live - 1] @ query
    for min_cosine, limit in ((-1.0, 10), (0.1, 4096), (0.2, 3), (0.99, 5)):
        rowids, cosines = index.search(query, min_cosine=min_cosine, limit=limit)
        eligible = live[scores >= min_cosine]
        best = eligible[np.argsort(-scores[scores >= min_cosine], kind="stable")][:limit]
        assert rowids.tolist() == best.tolist()
        assert np.all(np.diff(cosines) <= 0)
    excluded = int(live[np.argmax(scores)])
    rowids, _ = index.search(query, min_cosine=-1.0, limit=3, exclude_rowid=excluded)
    assert excluded not in rowids.tolist()
    assert index.vector(int(removed[0])) is None
    assert np.allclose(index.vector(int(live[0])), vectors[live[0] - 1])
