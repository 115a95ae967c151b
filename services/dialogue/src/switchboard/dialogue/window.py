"""How much recent history a conversation's stored tracker keeps: what the policies and replies read.

The tracker store keeps a window of the latest events (plus the state before them). Every policy
featurises the whole tracker it is given on every prediction, so the window is what a turn costs;
it is sized from what the assistant actually reads back, not a fixed count of events:

* a policy with a ``max_history`` (``MemoizationPolicy``) reads that many past states, one per
  action: the window keeps that many actions;
* ``RulePolicy`` with ``restrict_rules`` (Rasa's default) has rules of at most one user message,
  which may start with the bot's actions before it: one previous turn;
* a policy that says how many user turns it reads (``user_turns_read``, as ``EscalationPolicy``);
* the generator's history: ``history_turns`` texts of customer and bot before the new message.

A policy that reads the whole history (``max_history`` None, e.g. TEDPolicy by default) cannot be
served by a window; it gets ``UNBOUNDED_USER_TURNS`` turns, and ``WindowSize.capped`` names it.
The window is cut where a turn starts (an ``action_listen``), so it always begins between turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.graph import SchemaNode
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered

# Turns kept for a policy that reads the whole history.
UNBOUNDED_USER_TURNS = 10


@dataclass(frozen=True)
class WindowSize:
    """The least a stored window holds, counted back from its end."""

    actions: int = 1
    user_turns: int = 1
    texts: int = 0
    capped: tuple[str, ...] = ()


def window_size(nodes: Iterable[SchemaNode], history_texts: int) -> WindowSize:
    """The window the policies among ``nodes`` (a model's predict graph) and ``history_texts`` need."""
    actions, user_turns, capped = 1, 1, []
    for node in nodes:
        if not (isinstance(node.uses, type) and issubclass(node.uses, Policy)):
            continue
        config: dict[str, Any] = {**node.uses.get_default_config(), **node.config}
        reads_turns = getattr(node.uses, "user_turns_read", None)
        if callable(reads_turns):
            user_turns = max(user_turns, int(reads_turns(config)))
        elif issubclass(node.uses, RulePolicy):
            if not config.get("restrict_rules", True):
                capped.append(node.uses.__name__)
        elif isinstance(config.get("max_history"), int):
            actions = max(actions, int(config["max_history"]))
        else:
            capped.append(node.uses.__name__)
    if capped:
        user_turns = max(user_turns, UNBOUNDED_USER_TURNS)
    return WindowSize(actions=actions, user_turns=user_turns, texts=max(history_texts, 0), capped=tuple(capped))


def window_start(events: Sequence[Event], size: WindowSize) -> int:
    """Where the window to keep of ``events`` starts: the latest turn start that leaves ``size``.

    Counts back from the end; the first ``action_listen`` at or before which at least
    ``size.actions`` actions, ``size.user_turns`` user messages and ``size.texts`` texts lie is
    where the window starts. 0 when ``events`` hold less than that.
    """
    actions = users = texts = 0
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, UserUttered):
            users += 1
            texts += bool(event.text)
        elif isinstance(event, BotUttered):
            texts += bool(event.text)
        elif isinstance(event, ActionExecuted):
            actions += 1
            if (
                event.action_name == ACTION_LISTEN_NAME
                and actions >= size.actions
                and users >= size.user_turns
                and texts >= size.texts
            ):
                return index
    return 0
