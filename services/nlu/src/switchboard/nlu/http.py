"""Rasa-compatible HTTP: ``POST /model/parse`` with ``{"text", "tenant"}``; errors in Rasa's failure shape."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from switchboard.nlu.errors import InvalidInputError, UnknownTenantError
from switchboard.nlu.model import ParseInput
from switchboard.nlu.parsing import Parser
from switchboard.nlu.rasa_format import to_rasa


class ParseBody(BaseModel, extra="ignore"):
    text: str
    tenant: str | None = None
    language_hint: str = ""


def _failure(status: int, reason: str, message: str) -> web.Response:
    body = {"status": "failure", "reason": reason, "message": message, "code": status}
    return web.json_response(body, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False))


def add_routes(app: web.Application, parser: Parser, default_tenant: str, max_body_bytes: int) -> None:
    async def parse(request: web.Request) -> web.Response:
        raw = await request.content.read(max_body_bytes + 1)
        if len(raw) > max_body_bytes:
            return _failure(413, "PayloadTooLarge", f"request body exceeds {max_body_bytes} bytes")
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return _failure(400, "InvalidUTF8", f"request body is not valid UTF-8 (byte {error.start})")
        try:
            document: Any = json.loads(decoded)
            body = ParseBody(**document) if isinstance(document, dict) else None
        except (json.JSONDecodeError, ValidationError, TypeError) as error:
            return _failure(400, "BadRequest", f'expected a JSON object {{"text": "...", "tenant": "..."}}: {error}')
        if body is None:
            return _failure(400, "BadRequest", 'expected a JSON object {"text": "...", "tenant": "..."}')
        try:
            understanding = await parser.parse(
                body.tenant or default_tenant, ParseInput(body.text, language_hint=body.language_hint), path="http"
            )
        except InvalidInputError as error:
            return _failure(400, "InvalidText", str(error))
        except UnknownTenantError as error:
            return _failure(404, "UnknownTenant", str(error))
        return web.json_response(
            to_rasa(body.text, understanding), dumps=lambda value: json.dumps(value, ensure_ascii=False)
        )

    app.router.add_post("/model/parse", parse)
