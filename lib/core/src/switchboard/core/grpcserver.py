"""gRPC servers with the standard health service and trace context taken from metadata."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from switchboard.core.logs import get_logger
from switchboard.core.ops import Readiness
from switchboard.core.runtime import ServiceRuntime
from switchboard.core.settings import GrpcSettings

log = get_logger(__name__)

_HEALTH_POLL_S = 2.0


def add_grpc_server(runtime: ServiceRuntime, settings: GrpcSettings) -> grpc.aio.Server:
    """Creates a server the runtime starts, keeps its health status in step with readiness, and
    stops with grace on drain. Register servicers on the returned server before ``run()``."""
    server = grpc.aio.server(interceptors=[aio_server_interceptor()])
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = f"{settings.host}:{settings.port}"
    server.add_insecure_port(address)

    async def serve() -> None:
        await server.start()
        log.info("grpc.listening", address=address)
        try:
            await _mirror_readiness(runtime.readiness, health_servicer)
        finally:
            await health_servicer.enter_graceful_shutdown()

    async def stop() -> None:
        await server.stop(grace=settings.shutdown_grace_s)

    runtime.background(serve)
    runtime.on_close(stop)
    return server


async def _mirror_readiness(readiness: Readiness, servicer: health.aio.HealthServicer) -> None:
    while True:
        ready, _ = await readiness.evaluate()
        status = health_pb2.HealthCheckResponse.SERVING if ready else health_pb2.HealthCheckResponse.NOT_SERVING
        await servicer.set("", status)
        await asyncio.sleep(_HEALTH_POLL_S)
