"""Ingest benchmark: WeChat acknowledgement latency under a 4x retry storm, REST-webhook round trip,
and a bare HTTP echo on the same server as the baseline.

    make bench-ingest                       # starts a private Kafka + FerretDB, runs, stops them
    python -m bench.ingest --messages 200   # against SWITCHBOARD_TEST_KAFKA_BOOTSTRAP / _MONGO_URI

A stand-in responder answers each customer message on the outbound topic at once, so the figures
are the ingest path itself: HTTP, dedup and identity in the database, Kafka out and back.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from bench.ingest.stats import Summary, markdown, wechat_query, wechat_text
from switchboard.core.kafka import ensure_topics
from switchboard.core.logs import configure_logging
from switchboard.core.settings import KafkaSettings, LogSettings, MongoSettings
from switchboard.core.topics import HANDOFF_EVENTS, MESSAGE_RECEIVED, REPLY_READY
from switchboard.ingest.testing import IngestNode, Responder

RESULTS = Path(__file__).resolve().parent / "results"

TOKEN = "demo-wechat-token"
REST_KEY = "demo-rest-api-key"


async def echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read(), content_type="application/xml")


async def timed(coro) -> tuple[float, object]:
    started = time.perf_counter()
    result = await coro
    return time.perf_counter() - started, result


async def run(args: argparse.Namespace) -> dict:
    kafka = KafkaSettings(bootstrap_servers=os.environ.get("SWITCHBOARD_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    mongo = MongoSettings(
        uri=os.environ.get("SWITCHBOARD_TEST_MONGO_URI", "mongodb://127.0.0.1:27117/"),
        database=f"bench_{uuid.uuid4().hex[:8]}",
    )
    prefix = f"bench.{uuid.uuid4().hex[:8]}."
    topics = {
        name: topic.renamed(prefix + topic.name)
        for name, topic in (("inbound", MESSAGE_RECEIVED), ("outbound", REPLY_READY), ("handoff", HANDOFF_EVENTS))
    }
    await ensure_topics(kafka, list(topics.values()))
    node = IngestNode(
        kafka=kafka,
        mongo=mongo,
        responder=Responder(),
        repo=Path.cwd(),
        settings_overrides={"limits": {"customer_per_minute": 100000, "tenant_per_minute": 1000000}},
        extra_routes=[web.post("/bench/echo", echo)],
        **topics,
    )
    async with node, aiohttp.ClientSession() as http:
        base = node.base_url
        for _ in range(5):  # warm up connections, topic metadata and the database
            await http.post(
                f"{base}/webhooks/rest/webhook",
                json={"sender": "warm", "message": "hi"},
                headers={"Authorization": f"Bearer {REST_KEY}"},
            )
        sem = asyncio.Semaphore(args.concurrency)

        async def bounded(coro):
            async with sem:
                return await coro

        async def echo_once(i: int) -> float:
            body = wechat_text(f"echo {i}", str(10_000 + i), f"oE{i}")
            seconds, _ = await timed(_post(http, f"{base}/bench/echo", body))
            return seconds

        async def storm(i: int) -> list[tuple[float, str]]:
            body = wechat_text(f"订单 SB{i:04d} 到哪了？", str(50_000 + i), f"oW{i}")
            query = wechat_query(TOKEN, uuid.uuid4().hex[:10])
            copies = [timed(_post(http, f"{base}/wechat/demo", body, params=query)) for _ in range(4)]
            return await asyncio.gather(*copies)

        async def rest_once(i: int) -> float:
            seconds, _ = await timed(
                _post(
                    http,
                    f"{base}/webhooks/rest/webhook",
                    json.dumps({"sender": f"r{i}", "message": f"hello {i} 👋"}).encode(),
                    headers={"Authorization": f"Bearer {REST_KEY}", "Content-Type": "application/json"},
                )
            )
            return seconds

        n = args.messages
        baseline = await asyncio.gather(*(bounded(echo_once(i)) for i in range(n)))
        storms = await asyncio.gather(*(bounded(storm(i)) for i in range(n)))
        rest = await asyncio.gather(*(bounded(rest_once(i)) for i in range(n)))
        await asyncio.sleep(1.0)
        acks = [seconds for results in storms for seconds, _ in results]
        answered = [sum(1 for _, body in results if body != "success") for results in storms]
        inbound = node.db["inbound_messages"].count_documents({"channel": 2})
        node.client.drop_database(mongo.database)
    summaries = [
        Summary.of("bare HTTP echo (baseline)", baseline),
        Summary.of("WeChat ack, 4x retry storm (each copy)", acks),
        Summary.of("REST webhook round trip", rest),
    ]
    return {
        "summaries": summaries,
        "messages": n,
        "concurrency": args.concurrency,
        "wechat_messages_published": inbound,
        "wechat_passive_answers_per_message": sorted(set(answered)),
    }


async def _post(http: aiohttp.ClientSession, url: str, body: bytes, **kwargs) -> str:
    async with http.post(url, data=body, **kwargs) as response:
        text = await response.text()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}: {text[:200]}")
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="requests (or storms) in flight")
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help="where latest.json and latest.md are written (default: bench/ingest/results)",
    )
    args = parser.parse_args(argv)
    configure_logging(LogSettings(level="WARNING"), "bench-ingest")
    result = asyncio.run(run(args))
    summaries = result.pop("summaries")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    report = [
        f"# Ingest benchmark, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"{result['messages']} messages per scenario, {result['concurrency']} in flight, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load} at the end",
        "",
        markdown(summaries, "bare HTTP echo (baseline)"),
        "",
        f"WeChat: {result['wechat_messages_published']} messages published for {result['messages']} storms "
        f"of 4 copies; passive answers per storm: {result['wechat_passive_answers_per_message']} "
        "(1 = answered once, 0 = left to the API)",
    ]
    text = "\n".join(report) + "\n"
    sys.stdout.write(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(text)
    payload = {
        **result,
        "load_average": os.getloadavg(),
        "summaries": [dataclasses.asdict(summary) for summary in summaries],
    }
    (args.out / "latest.json").write_text(json.dumps(payload, indent=2))
    return 0 if result["wechat_messages_published"] == result["messages"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
