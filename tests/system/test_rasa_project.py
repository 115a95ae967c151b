"""A project made by ``rasa init``, copied unchanged into a tenant folder next to the files ``switchboard
tenant new`` writes, served by all five services on REST, web chat, WeChat and the phone, with no code
change: its NLU examples train the NLU service, its stories and rules the dialogue model, its domain's
responses are what customers get, and its own test stories pass through the running system."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from switchboard.cli.main import main

TENANT = "moodbot"
GREET = "Hey! How are you?"  # utter_greet of rasa init's domain.yml


@pytest.fixture(scope="module")
def tenants_dir(tmp_path_factory: pytest.TempPathFactory, dialogue_python: str) -> Path:
    """A tenants folder holding only the ``rasa init`` project, with WeChat and the phone switched on."""
    folder = tmp_path_factory.mktemp("tenants")
    made = main(["--tenants-dir", str(folder), "tenant", "new", TENANT, "--name-en", "Moodbot", "--languages", "en"])
    assert made == 0
    project = folder / TENANT
    # What `rasa init` writes before it trains: the initial project, copied over the scaffold's Rasa files.
    script = "import sys; from rasa.cli.scaffold import create_initial_project; create_initial_project(sys.argv[1])"
    subprocess.run([dialogue_python, "-c", script, str(project)], check=True, timeout=120)
    tenant = yaml.safe_load((project / "tenant.yaml").read_text(encoding="utf-8"))
    tenant["channels"] = {"web": True, "wechat": True, "voice": True}
    (project / "tenant.yaml").write_text(yaml.safe_dump(tenant, allow_unicode=True), encoding="utf-8")
    channels = yaml.safe_load((project / "channels.yaml").read_text(encoding="utf-8"))
    channels["wechat"] = {"app_id": "wxmoodbot00000000", "app_secret": "moodbot-app-secret", "token": "moodbot-token"}
    channels["voice"] = {"auth_token": "moodbot-twilio-auth-token"}
    (project / "channels.yaml").write_text(yaml.safe_dump(channels, allow_unicode=True), encoding="utf-8")
    return folder


def test_the_rasa_init_project_is_a_valid_tenant(tenants_dir: Path, capsys) -> None:
    code = main(["--tenants-dir", str(tenants_dir), "validate", TENANT, "--errors-only"])
    assert code == 0, capsys.readouterr().out


@pytest.mark.parametrize("channel", ["rest", "webchat", "wechat", "voice"])
async def test_the_rasa_init_bot_answers_on_every_channel(channel_customers, channel) -> None:
    customer = channel_customers(channel, TENANT, "en")
    assert GREET in await customer.say("hello there")
    cheered = await customer.say("I am so sad")
    assert "Here is something to cheer you up" in cheered and "Did that help you?" in cheered, cheered


def test_the_rasa_init_test_stories_pass_through_the_running_system(shared_stack, capsys) -> None:
    code = main(["--tenants-dir", str(shared_stack.tenants_dir), "test", TENANT, "--url", shared_stack.ingest_url])
    assert code == 0, capsys.readouterr().out
