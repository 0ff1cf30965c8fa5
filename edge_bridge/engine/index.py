"""The in-memory vector index of one collection: a float32 matrix searched by cosine.

Searches run ``matrix @ query`` and keep the top k with ``argpartition``; rows are appended
and removed by database row id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

DEFAULT_DIM: Final = 128


class CollectionIndex:
    """An in-memory matrix of unit embeddings with their database row ids.

    Not synchronised: the store guards each collection's index with that collection's lock.
    """

    def __init__(self, dim: int = DEFAULT_DIM, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((max(capacity, 1), dim), dtype=np.float32)
        self._rowids = np.zeros(max(capacity, 1), dtype=np.int64)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        """Bytes held by the matrix and row-id arrays (including spare capacity)."""
        return int(self._matrix.nbytes + self._rowids.nbytes)

    def _reserve(self, needed: int) -> None:
        capacity = self._matrix.shape[0]
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2)
        matrix = np.zeros((new_capacity, self.dim), dtype=np.float32)
        rowids = np.zeros(new_capacity, dtype=np.int64)
        matrix[: self._size] = self._matrix[: self._size]
        rowids[: self._size] = self._rowids[: self._size]
        self._matrix, self._rowids = matrix, rowids

    def add(self, rowids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Append rows; ``vectors`` is (n, dim) and should be unit length."""
        ids = np.asarray(rowids, dtype=np.int64).reshape(-1)
        block = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if ids.shape[0] != block.shape[0]:
            raise ValueError("rowids and vectors differ in length")
        count = ids.shape[0]
        self._reserve(self._size + count)
        self._matrix[self._size : self._size + count] = block
        self._rowids[self._size : self._size + count] = ids
        self._size += count

    def remove(self, rowids: Sequence[int] | np.ndarray) -> int:
        """Remove rows by row id (order is not preserved); return how many were removed."""
        targets = np.asarray(rowids, dtype=np.int64).reshape(-1)
        if targets.size == 0 or self._size == 0:
            return 0
        live = self._rowids[: self._size]
        keep = ~np.isin(live, targets)
        kept = int(keep.sum())
        removed = self._size - kept
        if removed:
            self._matrix[:kept] = self._matrix[: self._size][keep]
            self._rowids[:kept] = live[keep]
            self._size = kept
        return removed

    def vector(self, rowid: int) -> np.ndarray | None:
        """Return a copy of the embedding for ``rowid`` or None."""
        hits = np.flatnonzero(self._rowids[: self._size] == rowid)
        if hits.size == 0:
            return None
        row: np.ndarray = np.array(self._matrix[int(hits[0])], dtype=np.float32)
        return row

    def search(
        self,
        query: np.ndarray,
        *,
        min_cosine: float,
        limit: int,
        exclude_rowid: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (rowids, cosines) of up to ``limit`` rows with cosine >= ``min_cosine``.

        Best first.
        """
        if self._size == 0 or limit <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # einsum runs numpy's own single-threaded SIMD loop rather than multi-threaded BLAS: the
        # scan is memory-bound, so BLAS threads add no speed here but do add multi-millisecond
        # stalls when the cores are busy (camera decoding, concurrent requests).
        vector = np.asarray(query, dtype=np.float32).reshape(-1)
        scores = np.einsum("ij,j->i", self._matrix[: self._size], vector)
        if exclude_rowid is not None:
            scores[self._rowids[: self._size] == exclude_rowid] = -np.inf
        candidates = np.flatnonzero(scores >= min_cosine)
        if candidates.size > limit:
            top = np.argpartition(scores[candidates], candidates.size - limit)[-limit:]
            candidates = candidates[top]
        order = np.argsort(-scores[candidates], kind="stable")
        chosen = candidates[order]
        return self._rowids[chosen].copy(), scores[chosen].astype(np.float32)
