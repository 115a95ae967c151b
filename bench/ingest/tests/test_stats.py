"""The benchmark's helpers: percentiles, the summary table, WeChat-exact requests."""

from __future__ import annotations

import pytest
from wechatpy import parse_message
from wechatpy.utils import check_signature

from bench.ingest.stats import Summary, markdown, percentile, wechat_query, wechat_text


def test_percentile_nearest_rank() -> None:
    samples = [float(x) for x in range(100, 0, -1)]
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_markdown_shows_overhead_over_the_baseline() -> None:
    rows = [Summary.of("echo", [0.001, 0.002]), Summary.of("rest", [0.011, 0.012])]
    table = markdown(rows, "echo")
    assert "| echo | 2 | 1.0 | 2.0 | 2.0 |  |" in table
    assert "| rest | 2 | 11.0 | 12.0 | 12.0 | +10.0 ms |" in table


def test_wechat_requests_are_what_wechat_sends() -> None:
    query = wechat_query("tok", "abc", 1700000000)
    check_signature("tok", query["signature"], query["timestamp"], query["nonce"])  # raises when wrong
    message = parse_message(wechat_text("你好 😀", "42", "oX", 1700000000))
    assert (message.content, message.id, message.source) == ("你好 😀", 42, "oX")
