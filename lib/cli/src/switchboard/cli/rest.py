"""A client of the running system's Rasa-REST-compatible webhook, authenticated with the tenant's key."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_URL = "http://127.0.0.1:8080"
WEBHOOK = "/webhooks/rest/webhook"


class RestError(RuntimeError):
    """The system cannot be reached or refused the message; the message says what to do."""


@dataclass(frozen=True, slots=True)
class BotMessage:
    text: str
    buttons: tuple[str, ...] = ()


def rest_key(tenant_folder: Path) -> str:
    """``web.rest_api_key`` of ``channels.yaml``; an ``env:NAME`` reference is read from the environment."""
    path = tenant_folder / "channels.yaml"
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        key = str(document["web"]["rest_api_key"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise RestError(
            f"{path}: no web.rest_api_key ({error.__class__.__name__}): run `switchboard validate`"
        ) from None
    if key.startswith("env:"):
        name = key[4:]
        if name not in os.environ:
            raise RestError(f"{path}: web.rest_api_key reads ${name}: set it")
        key = os.environ[name]
    return key


@dataclass(slots=True)
class RestClient:
    """One conversation (one ``sender``) with a tenant."""

    url: str
    key: str
    sender: str = ""
    timeout_s: float = 30.0

    def __post_init__(self) -> None:
        self.sender = self.sender or f"cli-{uuid.uuid4().hex[:12]}"

    def send(self, text: str, language: str | None = None) -> list[BotMessage]:
        metadata: dict[str, str] = {"message_id": uuid.uuid4().hex}
        if language:
            metadata["language"] = language
        body = json.dumps({"sender": self.sender, "message": text, "metadata": metadata}).encode()
        request = urllib.request.Request(
            self.url.rstrip("/") + WEBHOOK,
            data=body,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:200]
            if error.code == 403:
                refused = f"{self.url} refused the tenant's REST key (403): is this tenant's channels.yaml loaded?"
                raise RestError(refused) from None
            raise RestError(f"{self.url} answered {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise RestError(f"cannot reach {self.url} ({reason}): is the system up? start it with `make up`") from None
        return [
            BotMessage(str(item.get("text") or ""), tuple(str(b.get("title", "")) for b in item.get("buttons") or []))
            for item in payload
            if isinstance(item, dict)
        ]
