"""WeChat's customer-service message API (``message/custom/send``) with a shared access token.

The access token lives in the ``wechat_tokens`` collection so every replica uses the same one:
WeChat invalidates a token a few minutes after a new one is issued, so replicas fetching their own
would log each other out. Expired or invalid tokens (40001, 40014, 42001) are refreshed once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import aiohttp
from pymongo.collection import Collection

from switchboard.ingest.channel_config import WeChatConfig
from switchboard.ingest.errors import ChannelRefusedError, ChannelSendError

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
# The customer-service window: 45015 (no message from the customer within 48 h), 45047 (more than
# 5 sends since the customer last wrote); retrying cannot help either.
REFUSALS = frozenset({45015, 45047, 43004, 40003})
# Refresh a little before WeChat's expiry, so a token is never used in its last seconds.
_EXPIRY_MARGIN = timedelta(seconds=300)


@dataclass(slots=True)
class WeChatApi:
    base_url: str
    tokens: Collection
    session: aiohttp.ClientSession

    async def send_text(self, config: WeChatConfig, openid: str, text: str) -> None:
        payload = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        for attempt in range(2):
            token = await self._token(config, refresh=attempt > 0)
            result = await self._call("POST", "/cgi-bin/message/custom/send", {"access_token": token}, payload)
            code = int(result.get("errcode", 0))
            if code == 0:
                return
            if code in TOKEN_ERRORS and attempt == 0:
                continue
            if code in REFUSALS:
                raise ChannelRefusedError(code, str(result.get("errmsg", "")))
            raise ChannelSendError(f"wechat errcode {code}: {result.get('errmsg', '')}")

    async def _token(self, config: WeChatConfig, *, refresh: bool) -> str:
        now = datetime.now(timezone.utc)
        if not refresh:
            cached = await asyncio.to_thread(self.tokens.find_one, {"_id": config.app_id})
            if cached and cached["expires_at"] > now + _EXPIRY_MARGIN:
                return str(cached["token"])
        result = await self._call(
            "GET",
            "/cgi-bin/token",
            {"grant_type": "client_credential", "appid": config.app_id, "secret": config.app_secret.get_secret_value()},
            None,
        )
        if "access_token" not in result:
            code = int(result.get("errcode", -1))
            raise ChannelRefusedError(code, f"access token refused: {result.get('errmsg', '')}")
        token = str(result["access_token"])
        expires_at = now + timedelta(seconds=int(result.get("expires_in", 7200)))
        await asyncio.to_thread(
            self.tokens.replace_one,
            {"_id": config.app_id},
            {"_id": config.app_id, "token": token, "expires_at": expires_at},
            upsert=True,
        )
        return token

    async def _call(self, method: str, path: str, params: dict, payload: dict | None) -> dict:
        try:
            async with self.session.request(
                method,
                self.base_url.rstrip("/") + path,
                params=params,
                data=None if payload is None else _json(payload),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                if response.status >= 500:
                    raise ChannelSendError(f"wechat answered HTTP {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise ChannelSendError(f"wechat unreachable: {type(error).__name__}") from error


def _json(payload: dict) -> bytes:
    # WeChat shows \uXXXX escapes literally: send Chinese and emoji as UTF-8.
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")
