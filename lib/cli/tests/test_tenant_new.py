"""``switchboard tenant new`` makes a tenant that validates clean and whose NLU trains."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from switchboard.cli.main import main
from switchboard.core.projects import validate_tenant


def test_new_tenant_validates_clean_and_prints_the_password_once(tmp_path: Path, capsys) -> None:
    code = main(["--tenants-dir", str(tmp_path), "tenant", "new", "acme", "--name-zh", "极客", "--name-en", "Acme"])
    out = capsys.readouterr().out
    assert code == 0, out
    folder = tmp_path / "acme"
    assert validate_tenant(folder) == []
    password = next(line for line in out.splitlines() if line.startswith("console login:")).split()[4]
    agents = (folder / "agents.yaml").read_text()
    assert password not in agents and "scrypt$" in agents
    from switchboard.handoff.agents import load_agents, verify_password

    [admin] = load_agents(folder / "agents.yaml")
    assert verify_password(password, admin.password_hash)
    domain = yaml.safe_load((folder / "domain.yml").read_text())
    assert "Acme" in domain["responses"]["utter_greet"][1]["text"]
    assert set(domain["intents"]) >= {"greet", "human_agent", "policy_question", "stop", "nlu_fallback"}
    assert sorted(p.name for p in (folder / "knowledge").iterdir()) == ["contact.en.md", "contact.zh.md"]


def test_every_new_tenant_gets_its_own_secrets(tmp_path: Path) -> None:
    for tenant in ("one", "two"):
        assert main(["--tenants-dir", str(tmp_path), "tenant", "new", tenant]) == 0
    keys = [yaml.safe_load((tmp_path / t / "channels.yaml").read_text())["web"] for t in ("one", "two")]
    assert keys[0]["rest_api_key"] != keys[1]["rest_api_key"]
    assert keys[0]["session_secret"] != keys[1]["session_secret"]
    assert len(keys[0]["rest_api_key"]) >= 40


def test_the_channels_load_in_the_ingest_service(tmp_path: Path) -> None:
    from switchboard.ingest.channel_config import load_channels

    main(["--tenants-dir", str(tmp_path), "tenant", "new", "acme"])
    config = load_channels(tmp_path / "acme" / "channels.yaml")
    assert config.web is not None and config.wechat is None


def test_a_one_language_tenant(tmp_path: Path) -> None:
    assert main(["--tenants-dir", str(tmp_path), "tenant", "new", "solo", "--languages", "en"]) == 0
    folder = tmp_path / "solo"
    assert validate_tenant(folder) == []
    assert "你好" not in (folder / "data" / "nlu.yml").read_text()
    assert [p.name for p in (folder / "knowledge").iterdir()] == ["contact.en.md"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Bad_Id"], "2-32 characters"),
        (["acme", "--languages", "fr"], "--languages"),
    ],
)
def test_bad_input_is_refused(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    assert main(["--tenants-dir", str(tmp_path), "tenant", "new", *argv]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path: Path, capsys) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "keep.txt").write_text("mine")
    assert main(["--tenants-dir", str(tmp_path), "tenant", "new", "acme"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "acme").iterdir()] == ["keep.txt"]


@pytest.mark.slow
def test_the_new_tenant_nlu_trains(tmp_path: Path) -> None:
    from switchboard.nlu.model import TrainOptions
    from switchboard.nlu.train import train_tenant

    main(["--tenants-dir", str(tmp_path), "tenant", "new", "acme"])
    version, model = train_tenant(tmp_path, tmp_path / "models", "acme", options=TrainOptions(encoder="none"))
    assert version
    assert set(model.intents) == {
        "greet",
        "goodbye",
        "thank",
        "affirm",
        "deny",
        "human_agent",
        "policy_question",
        "chitchat",
        "stop",
    }
    from switchboard.nlu.model import ParseInput

    assert model.parse(ParseInput("转人工")).intent.name == "human_agent"
    assert model.parse(ParseInput("hello there")).intent.name == "greet"


def test_the_new_tenants_copy_yaml_means_the_defaults_and_its_example_is_valid(tmp_path: Path) -> None:
    from switchboard.core.copy import default_copy, load_copy, parse_copy

    main(["--tenants-dir", str(tmp_path), "tenant", "new", "acme"])
    path = tmp_path / "acme" / "copy.yaml"
    assert load_copy(path.parent) == default_copy()
    example = "\n".join(line.removeprefix("# ") for line in path.read_text().splitlines() if line.startswith("# "))
    example = example[example.index("voice:") :]
    copy, problems = parse_copy(yaml.safe_load(example))
    assert problems == [] and copy is not None
    assert copy.voice.greeting.of("en").startswith("Hello")
