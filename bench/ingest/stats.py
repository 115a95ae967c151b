"""Helpers of the ingest benchmark: latency summaries and WeChat-exact request building."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from switchboard.ingest.wechat import wechat_signature


def percentile(samples: list[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by the nearest-rank method; samples need not be sorted."""
    if not samples:
        raise ValueError("no samples")
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    name: str
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, name: str, seconds: list[float]) -> Summary:
        ms = [s * 1000 for s in seconds]
        return cls(name, len(ms), percentile(ms, 50), percentile(ms, 99), max(ms))


def markdown(summaries: list[Summary], baseline: str) -> str:
    """A table of the summaries, each with its p50 overhead over the ``baseline`` row."""
    base = next(s for s in summaries if s.name == baseline)
    lines = ["| scenario | requests | p50 ms | p99 ms | max ms | p50 over baseline |", "|---|---:|---:|---:|---:|---:|"]
    for s in summaries:
        over = "" if s.name == baseline else f"+{s.p50_ms - base.p50_ms:.1f} ms"
        lines.append(f"| {s.name} | {s.count} | {s.p50_ms:.1f} | {s.p99_ms:.1f} | {s.max_ms:.1f} | {over} |")
    return "\n".join(lines)


def wechat_text(content: str, msg_id: str, openid: str, create_time: int | None = None) -> bytes:
    """A plaintext text message exactly as WeChat posts it."""
    return (
        f"<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def wechat_query(token: str, nonce: str, timestamp: int | None = None) -> dict[str, str]:
    """The signed query string WeChat adds to every callback."""
    stamp = str(timestamp or int(time.time()))
    return {"timestamp": stamp, "nonce": nonce, "signature": wechat_signature(token, stamp, nonce)}
