"""Pure pieces of the channels: text splitting, session tokens, rate limits, tenant channel files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError
from pymongo.errors import ServerSelectionTimeoutError

from switchboard.core.contracts import QuickReply, ReplyReady
from switchboard.ingest.channel_config import Tenants, load_channels
from switchboard.ingest.channels import split_text
from switchboard.ingest.errors import ChannelConfigError, RejectedRequest
from switchboard.ingest.limits import RateLimiter
from switchboard.ingest.rest import rasa_messages
from switchboard.ingest.settings import LimitSettings
from switchboard.ingest.webchat_sessions import Session, issue_token, read_token
from switchboard.ingest.wechat import parse_xml, wechat_signature

REPO = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize(
    "text", ["短句。" * 1000, "a" * 5000, "😀" * 700, "line one\n" * 400, "mixed 中文 and English. " * 200]
)
def test_split_text_keeps_every_character_within_the_byte_limit(text: str) -> None:
    parts = split_text(text, 2000)
    assert all(len(part.encode("utf-8")) <= 2000 for part in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert split_text("short", 2000) == ["short"]


def test_split_text_prefers_sentence_ends() -> None:
    parts = split_text("第一句话。" * 150 + "尾巴", 2000)
    assert parts[0].endswith("。")


def test_session_tokens_round_trip_and_reject_forgery_and_expiry() -> None:
    tenants = Tenants.load(REPO / "tenants")
    config = tenants.get("demo").web
    session = Session("demo", "w-1", "conv-1", int(time.time()) + 60)
    token = issue_token(config, session)
    assert read_token(tenants.get, token) == session
    payload, signature = token.split(".")
    assert read_token(tenants.get, f"{payload}x.{signature}") is None
    assert read_token(tenants.get, "garbage") is None
    assert read_token(tenants.get, token, now=time.time() + 120) is None


def test_rate_limiter_windows_slide() -> None:
    now = [0.0]
    limiter = RateLimiter(LimitSettings(customer_per_minute=2, tenant_per_minute=3), clock=lambda: now[0])
    limiter.take("demo", "a")
    limiter.take("demo", "a")
    with pytest.raises(RejectedRequest) as refused:
        limiter.take("demo", "a")
    assert refused.value.status == 429
    limiter.take("demo", "b")
    with pytest.raises(RejectedRequest):
        limiter.take("demo", "c")
    now[0] = 61.0
    limiter.take("demo", "a")


def test_channel_secrets_can_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "channels.yaml").write_text(
        "web:\n  session_secret: env:ACME_SESSION\n  rest_api_key: k\nvoice:\n  auth_token: env:ACME_TWILIO\n"
    )
    with pytest.raises(ChannelConfigError, match="ACME_SESSION"):
        load_channels(folder / "channels.yaml")
    monkeypatch.setenv("ACME_SESSION", "s3cret")
    monkeypatch.setenv("ACME_TWILIO", "t0ken")
    config = load_channels(folder / "channels.yaml")
    assert config.web.session_secret.get_secret_value() == "s3cret" and config.wechat is None
    (folder / "channels.yaml").write_text(
        "wechat:\n  app_id: a\n  app_secret: b\n  token: c\n  encoding_aes_key: short\n"
    )
    with pytest.raises(ChannelConfigError, match="43 characters"):
        load_channels(folder / "channels.yaml")


def test_wechat_signature_matches_wechats_definition() -> None:
    import hashlib

    assert (
        wechat_signature("token", "1", "n") == hashlib.sha1("".join(sorted(["token", "1", "n"])).encode()).hexdigest()
    )


def test_xml_with_entities_is_refused() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "b"><!ENTITY c "&a;&a;">]><xml><Content>&c;</Content></xml>'
    with pytest.raises(RejectedRequest) as refused:
        parse_xml(bomb)
    assert refused.value.status == 400
    assert parse_xml(b"<xml><Content><![CDATA[<b>hi</b>]]></Content></xml>") == {"Content": "<b>hi</b>"}


def test_rasa_messages_shape() -> None:
    reply = ReplyReady(text="hi", quick_replies=[QuickReply(title="Yes", payload="/affirm")])
    assert rasa_messages("s", [reply, ReplyReady(text="bye")]) == [
        {"recipient_id": "s", "text": "hi", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"recipient_id": "s", "text": "bye"},
    ]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RejectedRequest(429, "slow down"), 429),
        (ServerSelectionTimeoutError("down"), 503),
        (KafkaConnectionError("down"), 503),
        (RuntimeError("bug"), 500),
    ],
)
async def test_guarded_routes_answer_a_status_instead_of_crashing(error: Exception, status: int) -> None:
    from aiohttp.test_utils import make_mocked_request

    from switchboard.ingest.channels import guarded

    async def handler(request):
        raise error

    response = await guarded(handler)(make_mocked_request("POST", "/x"))
    assert response.status == status


def test_tenants_are_picked_up_at_runtime_and_a_broken_file_keeps_the_old_config(tmp_path: Path) -> None:
    import os
    import shutil

    shutil.copytree(REPO / "tenants" / "demo", tmp_path / "demo", ignore=shutil.ignore_patterns("knowledge", "data"))
    tenants = Tenants.load(tmp_path)
    assert tenants.get("second") is None
    shutil.copytree(tmp_path / "demo", tmp_path / "second")
    tenant_file = tmp_path / "second" / "tenant.yaml"
    tenant_file.write_text(tenant_file.read_text("utf-8").replace("id: demo", "id: second"), "utf-8")
    second = tmp_path / "second" / "channels.yaml"
    second.write_text(second.read_text("utf-8").replace("demo-rest-api-key", "second-rest-api-key"), "utf-8")
    assert tenants.refresh() == ["second"]
    assert tenants.by_rest_key("second-rest-api-key").tenant_id == "second"
    demo = tmp_path / "demo" / "channels.yaml"
    demo.write_text("web: [unclosed\n", "utf-8")
    stat = demo.stat()
    os.utime(demo, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert tenants.refresh() == []
    assert tenants.by_rest_key("demo-rest-api-key").tenant_id == "demo"  # the last good configuration serves
    shutil.rmtree(tmp_path / "second")
    tenants.refresh()
    assert tenants.get("second") is None


def test_a_changed_copy_yaml_is_read_again_and_a_broken_one_keeps_the_last_good_copy(tmp_path: Path) -> None:
    import os
    import shutil

    shutil.copytree(REPO / "tenants" / "demo", tmp_path / "demo", ignore=shutil.ignore_patterns("knowledge", "data"))
    tenants = Tenants.load(tmp_path)
    assert tenants.get("demo").tenant_copy.voice.menu_options[0].payload == "/check_order"
    copy_file = tmp_path / "demo" / "copy.yaml"

    def rewrite(text: str, seconds: int) -> None:
        copy_file.write_text(text, "utf-8")
        os.utime(copy_file, ns=(seconds * 1_000_000_000, seconds * 1_000_000_000))

    rewrite("wechat:\n  unsupported_message: {zh: 请发文字。, en: 'Text only, please.'}\n", 1)
    assert tenants.refresh() == ["demo"]
    config = tenants.get("demo")
    assert config.tenant_copy.wechat.unsupported_message.of("en") == "Text only, please."
    assert [o.payload for o in config.tenant_copy.voice.menu_options] == ["/human_agent"]  # back to the default
    rewrite("wechat:\n  unsupported_message: {en: 'Text {only}'}\n", 2)
    assert tenants.refresh() == []
    assert tenants.get("demo").tenant_copy.wechat.unsupported_message.of("en") == "Text only, please."
    with pytest.raises(ChannelConfigError, match=r"copy.yaml: wechat.unsupported_message.en: unknown placeholder"):
        load_channels(tmp_path / "demo" / "channels.yaml")


def test_a_broken_tenant_does_not_stop_the_others_at_start(tmp_path: Path) -> None:
    import shutil

    for tenant_id in ("demo", "broken"):
        shutil.copytree(REPO / "tenants" / "demo", tmp_path / tenant_id, ignore=shutil.ignore_patterns("knowledge"))
        tenant_file = tmp_path / tenant_id / "tenant.yaml"
        tenant_file.write_text(tenant_file.read_text("utf-8").replace("id: demo", f"id: {tenant_id}"), "utf-8")
    (tmp_path / "broken" / "channels.yaml").write_text("web: {rest_api_key: 1\n", "utf-8")
    tenants = Tenants.load(tmp_path)
    assert tenants.get("demo") is not None and tenants.get("broken") is None
