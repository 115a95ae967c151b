"""The HTTP server every service runs: /healthz, /readyz, /metrics, plus the service's own routes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from switchboard.core.logs import get_logger

ReadinessCheck = Callable[[], Awaitable[tuple[bool, str]]]

log = get_logger(__name__)


class Readiness:
    """Named readiness checks; the service is ready only when every one passes."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self._checks: dict[str, ReadinessCheck] = {}
        self._timeout_s = timeout_s
        self.draining = False

    def add(self, name: str, check: ReadinessCheck) -> None:
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} registered twice")
        self._checks[name] = check

    async def evaluate(self) -> tuple[bool, dict[str, str]]:
        if self.draining:
            return False, {"service": "draining"}
        names = list(self._checks)
        results = await asyncio.gather(*(self._run(self._checks[name]) for name in names))
        report = {name: detail for name, (_, detail) in zip(names, results, strict=False)}
        return all(ok for ok, _ in results), report

    async def _run(self, check: ReadinessCheck) -> tuple[bool, str]:
        try:
            return await asyncio.wait_for(check(), timeout=self._timeout_s)
        except asyncio.TimeoutError:
            return False, "check timed out"
        except Exception as error:  # noqa: BLE001 - a failing check means "not ready", never a 500
            return False, f"{type(error).__name__}: {error}"


def build_ops_app(service: str, readiness: Readiness) -> web.Application:
    """An aiohttp application with the three operational routes; services add their own."""

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "service": service})

    async def readyz(_: web.Request) -> web.Response:
        ready, checks = await readiness.evaluate()
        body = {"ready": ready, "service": service, "checks": checks}
        return web.json_response(body, status=200 if ready else 503)

    async def metrics(_: web.Request) -> web.Response:
        response = web.Response(body=generate_latest())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Starts serving ``app``; the caller cleans the runner up on shutdown."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("http.listening", host=host, port=port)
    return runner
