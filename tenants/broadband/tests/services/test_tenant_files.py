"""The broadband tenant's files load with the platform's own loaders and agree with each other.

NLU data (the NLU service's loader), domain and NLU intents both ways, a zh and an en variation of
every response, the knowledge base (the generator's loader, the same topics in both languages), and
the tenant, channel, agent and handoff files (core, ingest and handoff loaders).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

from switchboard.core.tenants import load_tenant
from switchboard.generator.knowledge import load_knowledge_base
from switchboard.handoff.agents import load_agents, verify_password
from switchboard.handoff.rules import load_rules
from switchboard.ingest.channel_config import load_channels
from switchboard.nlu import trainingdata

TENANT = Path(__file__).resolve().parents[2]
DEMO = TENANT.parent / "demo"
# Intents NLU gives without training examples: its threshold says "not understood".
NLU_MADE_INTENTS = {"nlu_fallback"}
TENANT_INTENTS = ("check_outage", "report_fault", "check_bill", "change_plan", "inform")
ACCOUNT_ID = re.compile(r"^LN\d{6}$")


def domain() -> dict:
    return yaml.safe_load((TENANT / "domain.yml").read_text(encoding="utf-8"))


def test_nlu_data_loads_with_the_nlu_loader_and_has_enough_examples_per_language() -> None:
    data = trainingdata.load(TENANT / "data")
    per_language = Counter(
        (example.intent, "zh" if re.search(r"[\u4e00-\u9fff]", example.text) else "en") for example in data.examples
    )
    for intent in TENANT_INTENTS:
        assert per_language[(intent, "zh")] >= 15, intent
        assert per_language[(intent, "en")] >= 15, intent
    assert per_language[("policy_question", "zh")] >= 30
    assert per_language[("policy_question", "en")] >= 30
    assert data.regexes["account_id"]
    annotated = [span for example in data.examples for span in example.entities if span.entity == "account_id"]
    assert annotated and all(ACCOUNT_ID.match(span.value.upper()) for span in annotated)
    # The regex finds every annotated account number.
    pattern = re.compile(data.regexes["account_id"][0])
    assert all(pattern.fullmatch(span.value) for span in annotated)


def test_every_nlu_intent_is_in_the_domain_and_every_domain_intent_is_trained() -> None:
    trained = set(trainingdata.load(TENANT / "data").intents)
    declared = set(domain()["intents"])
    assert trained - declared == set()
    assert declared - trained == NLU_MADE_INTENTS


def test_every_response_has_a_chinese_and_an_english_variation() -> None:
    for name, variations in domain()["responses"].items():
        default = [v for v in variations if not v.get("condition")]
        english = [
            v
            for v in variations
            if v.get("condition") == [{"type": "slot", "name": "language", "value": "en"}] and v.get("text")
        ]
        assert len(default) == 1 and re.search(r"[\u4e00-\u9fff]", default[0]["text"]), name
        assert len(english) == 1 and not re.search(r"[\u4e00-\u9fff]", english[0]["text"]), name
        # Both say the same facts: the same placeholders.
        assert set(re.findall(r"\{(\w+)\}", default[0]["text"])) == set(re.findall(r"\{(\w+)\}", english[0]["text"]))


def test_the_knowledge_base_loads_with_the_same_topics_and_sections_in_both_languages() -> None:
    kb = load_knowledge_base("broadband", TENANT / "knowledge")
    by_language: dict[str, list[str]] = {"zh": [], "en": []}
    for passage in kb.passages:
        by_language[passage.language].append(passage.source.split("#")[0].split(".")[0])
        assert passage.keywords, passage.source
    assert Counter(by_language["zh"]) == Counter(by_language["en"])
    assert len(set(by_language["zh"])) >= 8


def test_the_tenant_channel_agent_and_handoff_files_load() -> None:
    tenant = load_tenant(TENANT / "tenant.yaml")
    assert (tenant.id, tenant.default_language, tenant.languages) == ("broadband", "zh", ["zh", "en"])

    channels = load_channels(TENANT / "channels.yaml")
    demo = load_channels(DEMO / "channels.yaml")
    assert channels.web and channels.wechat and channels.voice
    secrets = {
        "web.session_secret": (channels.web.session_secret, demo.web.session_secret),
        "web.rest_api_key": (channels.web.rest_api_key, demo.web.rest_api_key),
        "wechat.app_secret": (channels.wechat.app_secret, demo.wechat.app_secret),
        "wechat.token": (channels.wechat.token, demo.wechat.token),
        "wechat.encoding_aes_key": (channels.wechat.encoding_aes_key, demo.wechat.encoding_aes_key),
        "voice.auth_token": (channels.voice.auth_token, demo.voice.auth_token),
    }
    for name, (ours, theirs) in secrets.items():
        assert ours.get_secret_value() != theirs.get_secret_value(), name
    assert channels.wechat.app_id != demo.wechat.app_id

    agents = load_agents(TENANT / "agents.yaml")
    # The demo-only passwords documented in this tenant's README.md.
    passwords = {"zhang.wei": "zhang.wei-demo", "lucy": "lucy-demo", "chen.jing": "chen.jing-demo"}
    assert {agent.id for agent in agents} == set(passwords)
    for agent in agents:
        assert verify_password(passwords[agent.id], agent.password_hash), agent.id

    rules = load_rules(TENANT / "handoff.yaml")
    assert rules.queue_for("report_fault") == "technical"
    assert rules.queue_for("check_bill") == "billing"
    assert rules.queue_for("change_plan") == "sales"
    assert rules.queue_for("greet") == "general"
    # Every queue a topic goes to is served by at least one agent.
    served = {queue for agent in agents if agent.role == "agent" for queue in agent.queues}
    assert set(rules.queue_names) <= served
