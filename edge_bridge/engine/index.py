"""In-memory vector indexes of one collection: faces (a float32 matrix searched by cosine)
and users (their templates, see :func:`user_template`).

Face searches run ``matrix @ query`` and keep the top k with ``argpartition``; rows are
appended and removed by database row id.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
import threading
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
        wanted = scores >= min_cosine
        if exclude_rowid is not None:  # a mask, not a -inf score: min_cosine may be -inf
            wanted &= self._rowids[: self._size] != exclude_rowid
        candidates = np.flatnonzero(wanted)
        if candidates.size > limit:
            top = np.argpartition(scores[candidates], candidates.size - limit)[-limit:]
            candidates = candidates[top]
        order = np.argsort(-scores[candidates], kind="stable")
        chosen = candidates[order]
        return self._rowids[chosen].copy(), scores[chosen].astype(np.float32)


class TemplatePolicy(StrEnum):
    """How a user's associated faces are matched: the one switch for user search.

    ``MEAN``: the user's template is the L2-normalised mean of its faces' embeddings (one row).
    ``MAX``: best of faces, every associated face is a row and the user scores its best row.
    """

    MEAN = "mean"
    MAX = "max"


DEFAULT_TEMPLATE_POLICY: Final = TemplatePolicy.MEAN


def user_template(
    vectors: np.ndarray, policy: TemplatePolicy | str = DEFAULT_TEMPLATE_POLICY
) -> np.ndarray:
    """The rows a user is matched against, from its faces' unit embeddings ((n, dim) -> (k, dim)).

    A probe's score for the user is its highest cosine with these rows: with ``mean`` the one
    row is the L2-normalised mean embedding, with ``max`` the rows are the faces themselves.
    No faces (or faces whose mean is zero) give no rows: such a user matches nothing.
    """
    block = np.asarray(vectors, dtype=np.float32)
    if block.ndim != 2 or block.shape[0] == 0:
        return np.zeros((0, block.shape[-1] if block.ndim == 2 else DEFAULT_DIM), np.float32)
    if TemplatePolicy(policy) is TemplatePolicy.MAX:
        return block.copy()
    mean = block.astype(np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if not np.isfinite(norm) or norm < 1e-12:
        return np.zeros((0, block.shape[1]), dtype=np.float32)
    template: np.ndarray = (mean / norm).astype(np.float32).reshape(1, -1)
    return template


def template_cosine(template: np.ndarray, query: np.ndarray) -> float | None:
    """A query's score for one user: its best cosine with the template's rows (None: no rows).

    ``query`` is one unit vector, or several rows (another user's template), in which case the
    best pair counts.
    """
    if template.shape[0] == 0:
        return None
    rows = np.asarray(query, dtype=np.float32).reshape(-1, template.shape[1])
    if rows.shape[0] == 0:
        return None
    return float(np.max(np.einsum("ij,kj->ik", template, rows)))


class UserIndex:
    """The templates of a collection's users, by user row id, searched like the face matrix.

    Each user's template is recomputed when its faces change (``set_user``); the stacked search
    matrix is rebuilt lazily on the next search after a change. Not synchronised: the store
    guards it with the collection's lock (changes under the write lock; searches under the read
    lock, which build the stacked matrix under ``_stack_lock``).
    """

    def __init__(
        self, dim: int = DEFAULT_DIM, policy: TemplatePolicy | str = DEFAULT_TEMPLATE_POLICY
    ) -> None:
        self.dim = dim
        self.policy = TemplatePolicy(policy)
        self._templates: dict[int, np.ndarray] = {}
        self._stack: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # user row id -> (first row, row count) in the stacked matrix, while it is valid
        self._positions: dict[int, tuple[int, int]] = {}
        self._stack_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._templates)

    def set_user(self, user_seq: int, face_vectors: np.ndarray) -> None:
        """Set (or recompute) a user's template from its faces' embeddings (possibly none)."""
        block = np.asarray(face_vectors, dtype=np.float32).reshape(-1, self.dim)
        template = user_template(block, self.policy)
        self._templates[int(user_seq)] = template
        place = self._positions.get(int(user_seq))
        if self._stack is not None and place is not None and place[1] == template.shape[0]:
            # Same number of rows (with ``mean``: any change to a user that has faces): update
            # the stacked matrix in place instead of rebuilding it.
            self._stack[0][place[0] : place[0] + place[1]] = template
        else:
            self._stack = None

    def remove_user(self, user_seq: int) -> None:
        """Forget a user."""
        if self._templates.pop(int(user_seq), None) is not None:
            self._stack = None

    def template(self, user_seq: int) -> np.ndarray | None:
        """A user's template rows (a copy; none when it has no faces), or None if unknown."""
        template = self._templates.get(int(user_seq))
        return None if template is None else template.copy()

    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows of all templates, each user's first row, user row ids): users with rows only;
        each user's rows are contiguous."""
        with self._stack_lock:
            if self._stack is None:
                users = [(seq, t) for seq, t in self._templates.items() if t.shape[0]]
                if users:
                    matrix = np.concatenate([t for _, t in users]).reshape(-1, self.dim)
                    sizes = np.array([t.shape[0] for _, t in users], dtype=np.int64)
                    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
                    seqs = np.array([seq for seq, _ in users], dtype=np.int64)
                else:
                    matrix = np.zeros((0, self.dim), dtype=np.float32)
                    starts = seqs = np.zeros(0, dtype=np.int64)
                self._stack = (np.ascontiguousarray(matrix, dtype=np.float32), starts, seqs)
                self._positions = {
                    int(seq): (int(start), int(t.shape[0]))
                    for (seq, t), start in zip(users, starts, strict=True)
                }
            return self._stack

    def search(
        self,
        query: np.ndarray,
        *,
        min_cosine: float,
        limit: int,
        exclude_user: int | None = None,
    ) -> list[tuple[int, float]]:
        """Return up to ``limit`` (user row id, cosine) with cosine >= ``min_cosine``, best first.

        ``query`` is one unit vector or several rows (the best pair counts for each user).
        """
        matrix, starts, seqs = self._stacked()
        rows = np.asarray(query, dtype=np.float32).reshape(-1, self.dim)
        if seqs.size == 0 or rows.shape[0] == 0 or limit <= 0:
            return []
        # Best row of the query for each template row, then best template row for each user.
        scores = np.einsum("ij,kj->ik", matrix, rows).max(axis=1)
        if matrix.shape[0] != seqs.size:
            scores = np.maximum.reduceat(scores, starts)
        wanted = scores >= min_cosine
        if exclude_user is not None:
            wanted &= seqs != exclude_user
        candidates = np.flatnonzero(wanted)
        if candidates.size > limit:
            top = np.argpartition(scores[candidates], candidates.size - limit)[-limit:]
            candidates = candidates[top]
        order = np.lexsort((seqs[candidates], -scores[candidates]))
        chosen = candidates[order]
        return [
            (int(seq), float(score))
            for seq, score in zip(seqs[chosen], scores[chosen], strict=True)
        ]
