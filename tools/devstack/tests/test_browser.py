"""The browser install step: apt-get only when chromium is missing, and through sudo when not root."""

from __future__ import annotations

from pathlib import Path

import pytest
from devstack import browser
from devstack.errors import DevstackError


def test_nothing_runs_when_chromium_and_the_cjk_font_are_there(tmp_path: Path) -> None:
    binary, font = tmp_path / "chromium", tmp_path / "font.ttc"
    binary.touch()
    font.touch()
    calls: list[list[str]] = []
    assert browser.ensure(binary, runner=lambda argv, what: calls.append(list(argv)), prefix=[], font=font) is None
    assert calls == []


def test_a_missing_cjk_font_is_installed_too(tmp_path: Path) -> None:
    binary = tmp_path / "chromium"
    binary.touch()
    calls: list[list[str]] = []
    runner = lambda argv, what: calls.append(list(argv))  # noqa: E731
    assert browser.ensure(binary, runner=runner, prefix=[], font=tmp_path / "missing.ttc") is not None
    assert calls[-1][-2:] == ["chromium", "fonts-wqy-microhei"]


def test_missing_chromium_is_installed_with_apt(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    seconds = browser.ensure(
        tmp_path / "chromium",
        runner=lambda argv, what: calls.append(list(argv)),
        prefix=["sudo", "-n"],
        font=tmp_path / "f",
    )
    assert seconds is not None
    assert calls == [
        ["sudo", "-n", "apt-get", "update"],
        ["sudo", "-n", "apt-get", "install", "-y", "--no-install-recommends", "chromium", "fonts-wqy-microhei"],
    ]


def test_apt_runs_directly_as_root_and_needs_sudo_otherwise() -> None:
    assert browser.apt_prefix(euid=0) == []
    assert browser.apt_prefix(euid=1000, which=lambda name: "/usr/bin/sudo") == ["sudo", "-n"]
    with pytest.raises(DevstackError, match="root"):
        browser.apt_prefix(euid=1000, which=lambda name: None)
