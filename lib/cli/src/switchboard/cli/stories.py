"""Test stories (``tests/test_stories.yml``, Rasa's format) read into turns, and the domain's response texts.

A turn is one ``user:`` message with the intent and the actions the story expects after it. Replies
are compared with the expected ``utter_*`` response's variations in the conversation's language
(``{slot}`` placeholders match any text); a custom action's reply is not known ahead, so any is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from switchboard.core.language import detect


class StoryFileError(ValueError):
    """The test stories cannot be read."""


@dataclass(slots=True)
class Turn:
    text: str
    intent: str | None
    actions: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TestStory:
    name: str
    turns: list[Turn] = field(default_factory=list)
    problem: str = ""  # set when the story cannot be run as written


def read_test_stories(path: Path) -> list[TestStory]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise StoryFileError(f"{path}: {error}") from None
    stories = []
    for entry in document.get("stories") or []:
        story = TestStory(str(entry.get("story") or "story"))
        for step in entry.get("steps") or []:
            if not isinstance(step, dict):
                continue
            if "user" in step:
                story.turns.append(Turn(str(step["user"]).strip(), step.get("intent")))
            elif "intent" in step:
                story.problem = story.problem or f"intent {step['intent']!r} has no user: text to send"
            elif "action" in step:
                if not story.turns:
                    story.problem = story.problem or f"action {step['action']!r} before any user message"
                elif step["action"] != "action_listen":
                    story.turns[-1].actions.append(str(step["action"]))
        stories.append(story)
    return stories


@dataclass(frozen=True, slots=True)
class Responses:
    """The domain's responses: per name, the variations' texts by language (None: the default language)."""

    by_name: dict[str, list[tuple[str | None, str]]]
    default_language: str

    def patterns(self, name: str, language: str) -> list[re.Pattern[str]]:
        variations = self.by_name.get(name, [])
        wanted = [text for code, text in variations if (code or self.default_language) == language]
        return [_pattern(text) for text in wanted or [text for _, text in variations]]


def _pattern(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^{}]+\}", " ".join(text.split()))
    return re.compile(r"\s*" + ".+?".join(re.escape(part) for part in parts) + r"\s*$", re.DOTALL)


def read_responses(folder: Path, default_language: str) -> Responses:
    files = sorted((folder / "domain").rglob("*.yml")) if (folder / "domain").is_dir() else [folder / "domain.yml"]
    by_name: dict[str, list[tuple[str | None, str]]] = {}
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variations in (document.get("responses") or {}).items():
            for variation in variations or []:
                if isinstance(variation, dict) and variation.get("text"):
                    by_name.setdefault(name, []).append((_language(variation.get("condition")), variation["text"]))
    return Responses(by_name, default_language)


def _language(condition: object) -> str | None:
    for item in condition if isinstance(condition, list) else []:
        if isinstance(item, dict) and item.get("type") == "slot" and item.get("name") == "language":
            return str(item.get("value"))
    return None


def conversation_language(text: str, previous: str, served: list[str]) -> str:
    """The language the bot answers ``text`` in: the one it is written in, else the conversation's so far."""
    reading = detect(text)
    language = reading.dominant if reading.language else previous
    return language if language in served else previous


def check_turn(turn: Turn, replies: list[str], responses: Responses, language: str) -> str:
    """Empty when the replies fit the expected actions, else what went wrong."""
    position = 0
    loose = False  # after a custom action any replies may come before the next expected response
    for action in turn.actions:
        if not action.startswith("utter_"):
            loose = True
            continue
        patterns = responses.patterns(action, language)
        if not patterns:
            return f"{action} is not a response of the domain"
        found = None
        for index in range(position, len(replies) if loose else min(position + 1, len(replies))):
            if any(pattern.match(" ".join(replies[index].split())) for pattern in patterns):
                found = index
                break
        if found is None:
            got = replies[position] if position < len(replies) else "no reply"
            return f"expected {action} in {language}, got {got!r}"
        position, loose = found + 1, False
    if position < len(replies) and not loose:
        return f"unexpected reply {replies[position]!r}"
    return ""
