"""Profiles, port overrides and where caches and state live."""

from __future__ import annotations

from pathlib import Path

import pytest
from devstack import paths, profiles
from devstack.errors import DevstackError


def test_builtin_profiles_do_not_share_ports() -> None:
    dev, test = profiles.get("dev", {}), profiles.get("test", {})
    assert (dev.kafka_port, dev.kafka_controller_port, dev.mongo_port) == (9092, 9093, 27017)
    assert (test.kafka_port, test.kafka_controller_port, test.mongo_port) == (19092, 19093, 27117)
    assert test.fresh_state and not dev.fresh_state
    assert dev.state_dir == paths.REPO_ROOT / ".run" / "dev"


def test_env_overrides_ports() -> None:
    env = {
        "SWITCHBOARD_KAFKA_PORT": "29092",
        "SWITCHBOARD_KAFKA_CONTROLLER_PORT": "29093",
        "SWITCHBOARD_MONGO_PORT": "",
    }
    profile = profiles.get("test", env)
    assert (profile.kafka_port, profile.kafka_controller_port, profile.mongo_port) == (29092, 29093, 27117)
    assert profile.kafka_bootstrap == "127.0.0.1:29092"


@pytest.mark.parametrize("value", ["abc", "0", "70000"])
def test_bad_port_is_a_clear_error(value: str) -> None:
    with pytest.raises(DevstackError, match="SWITCHBOARD_MONGO_PORT"):
        profiles.get("dev", {"SWITCHBOARD_MONGO_PORT": value})


def test_ports_must_differ() -> None:
    with pytest.raises(DevstackError, match="must differ"):
        profiles.get("test", {"SWITCHBOARD_KAFKA_CONTROLLER_PORT": "19092"})


def test_unknown_profile() -> None:
    with pytest.raises(DevstackError, match="unknown profile"):
        profiles.get("prod", {})


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SWITCHBOARD_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "switchboard"
    monkeypatch.setenv("SWITCHBOARD_CACHE_DIR", str(tmp_path / "explicit"))
    assert paths.cache_dir() == tmp_path / "explicit"


def test_cache_dir_may_not_be_inside_the_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHBOARD_CACHE_DIR", str(paths.REPO_ROOT / "cache"))
    with pytest.raises(DevstackError, match="inside the repository"):
        paths.cache_dir()
