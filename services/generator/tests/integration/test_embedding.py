"""The real embedding model on a customer message longer than a question needs."""

from __future__ import annotations

import numpy as np

from switchboard.generator.embedding import MAX_QUERY_CHARS, Embedder


def test_a_long_message_is_embedded_by_its_head(embedder: Embedder) -> None:
    # A customer pasting 2,000 characters must not cost the whole turn's deadline: the query embeds
    # exactly as its first MAX_QUERY_CHARS characters do.
    head = ("运费多少钱，" * MAX_QUERY_CHARS)[:MAX_QUERY_CHARS]
    long_text = head + "退货怎么办？" * 300
    assert np.allclose(embedder.query_sync(long_text), embedder.query_sync(head))
    assert not np.allclose(embedder.query_sync(head[:100] + "退货怎么办？" * 10), embedder.query_sync(head))
