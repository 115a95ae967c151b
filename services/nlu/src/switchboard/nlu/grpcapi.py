"""``NluService.Parse`` over gRPC; requests are decoded here so undecodable ones get a clear status."""

from __future__ import annotations

import grpc
from google.protobuf.message import DecodeError

from switchboard.api.nlu.v1.nlu_service_pb2 import ParseRequest, ParseResponse
from switchboard.nlu.errors import InvalidInputError, UnknownTenantError
from switchboard.nlu.model import ParseInput
from switchboard.nlu.parsing import Parser

SERVICE = "switchboard.api.nlu.v1.NluService"


def add_nlu_service(server: grpc.aio.Server, parser: Parser) -> None:
    """Registers ``Parse``; the request deserializer is the identity so a bad payload reaches our code."""

    async def parse(raw: bytes, context: grpc.aio.ServicerContext) -> ParseResponse:
        try:
            request = ParseRequest.FromString(raw)
        except DecodeError:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "request is not a valid ParseRequest (is the text valid UTF-8?)"
            )
        try:
            understanding = await parser.parse(
                request.tenant_id, ParseInput(request.text, language_hint=request.language_hint), path="grpc"
            )
        except InvalidInputError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except UnknownTenantError as error:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        return ParseResponse(text=request.text, understanding=understanding)

    handler = grpc.unary_unary_rpc_method_handler(parse, response_serializer=ParseResponse.SerializeToString)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {"Parse": handler}),))
