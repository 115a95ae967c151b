"""Signed sessions and password hashes: what is accepted and everything that is not."""

from __future__ import annotations

import time

from switchboard.core.testing.plugin import repo_root
from switchboard.handoff.agents import hash_password, load_agents, verify_password
from switchboard.handoff.sessions import SessionSigner
from switchboard.handoff.testing import DEMO_PASSWORDS


def test_a_session_round_trips_and_tampering_is_refused() -> None:
    signer = SessionSigner("k", 60)
    cookie = signer.issue(tenant_id="demo", agent_id="li.lei", role="agent", team="support")
    session = signer.verify(cookie)
    assert (session.tenant_id, session.agent_id, session.team) == ("demo", "li.lei", "support")
    body, signature = cookie.rsplit(".", 1)
    assert signer.verify(body[:-2] + "xx." + signature) is None
    assert signer.verify(cookie + "0") is None
    assert SessionSigner("other key", 60).verify(cookie) is None
    for junk in (None, "", "no-dot", "a.b.c", "🙂.🙂"):
        assert signer.verify(junk) is None


def test_sessions_expire(monkeypatch) -> None:
    signer = SessionSigner("k", 60)
    cookie = signer.issue(tenant_id="demo", agent_id="a", role="agent", team="support")
    monkeypatch.setattr(time, "time", lambda: 10**12)
    assert signer.verify(cookie) is None


def test_passwords_are_salted_hashes() -> None:
    first, second = hash_password("密码 🙂"), hash_password("密码 🙂")
    assert first != second and "密码" not in first
    assert verify_password("密码 🙂", first) and verify_password("密码 🙂", second)
    assert not verify_password("密码", first)
    assert not verify_password("x", "scrypt$garbage") and not verify_password("x", "plain")


def test_demo_agents_file_holds_hashes_of_the_documented_demo_passwords() -> None:
    agents = {a.id: a for a in load_agents(repo_root() / "tenants" / "demo" / "agents.yaml")}
    assert set(agents) == set(DEMO_PASSWORDS)
    for agent_id, password in DEMO_PASSWORDS.items():
        assert password not in agents[agent_id].password_hash
        assert verify_password(password, agents[agent_id].password_hash)
    assert agents["han.mei"].role == "supervisor"
