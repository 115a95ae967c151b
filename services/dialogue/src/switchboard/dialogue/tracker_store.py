"""Our Rasa tracker store on MongoDB: one document per conversation, version-checked, flat per turn.

Rasa's ``MongoTrackerStore`` (3.6) diffs against a stale read with no version check, indexes
``sender_id`` non-uniquely, blocks the event loop with synchronous pymongo and rereads and rewrites
the whole history every turn. This store instead keeps, per conversation, one document
(``_id`` = conversation key, unique by construction) holding:

* ``base``: the state (slots, active loop, paused) at the start of the window, as JSON;
* ``window``: the latest events (JSON strings, at most ``window_max``, cut at a turn boundary);
* ``turns``: the replies of the latest turns by event id, so a redelivered message republishes
  the stored replies instead of running the turn again;
* ``version``: bumped by every write; a write based on an older version matches nothing and
  fails with ``StaleTrackerError`` (a stale writer loses, nothing is overwritten).

A turn reads one document and writes it once, and both are bounded by the window, so the cost
of a turn does not grow with the conversation. Every event is also appended to
``dialogue_events`` (one document per event, ``_id`` = conversation/sequence, so replays never
duplicate) for transcripts and ``retrieve_full_tracker``. All driver calls run in a worker thread
with the client's short timeouts. Events are stored as JSON strings, which keeps FerretDB's limits
(no nested arrays, no ``.``/``$`` keys) out of Rasa's event format.

No lock store is needed: the dialogue service consumes ``conversation.understood.v1`` keyed by
conversation, so one conversation's messages arrive in order on one partition and are handled one
at a time by its one owner. Two writers of one conversation can only meet across a consumer-group
rebalance; the version check makes the late one fail and retry on the fresh state.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from typing import Any

from bson import Binary
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    ConversationPaused,
    Event,
    LoopInterrupted,
    SlotSet,
)
from rasa.shared.core.trackers import DialogueStateTracker

from switchboard.dialogue.errors import DialogueRetryableError

TRACKERS = "dialogue_trackers"
EVENTS = "dialogue_events"
# The attribute a restored tracker carries: which document version and how many events it was built from.
_LOADED = "_switchboard_loaded"
_DUPLICATE_KEY = 11000
# A document read ahead by the turn in this task, handed to Rasa's next ``retrieve``.
_prefetched: contextvars.ContextVar[tuple[str, dict[str, Any] | None] | None] = contextvars.ContextVar(
    "prefetched_tracker", default=None
)


class StaleTrackerError(DialogueRetryableError):
    """Another writer saved this conversation since it was read; retry the turn on fresh state."""


@dataclass(frozen=True)
class StoredOutput:
    """One event a turn published: its kind (which topic) and the serialized protobuf message."""

    kind: str
    payload: bytes


@dataclass(frozen=True)
class _Loaded:
    version: int
    restored_events: int
    prefix_events: int
    window: tuple[str, ...]
    turns: tuple[dict[str, Any], ...]
    event_count: int


class ConversationTrackerStore(TrackerStore):
    """Rasa ``TrackerStore`` on a MongoDB-wire database (see the module docstring)."""

    def __init__(
        self,
        domain: Domain,
        database: Database,
        *,
        window_max: int = 30,
        window_min: int = 15,
        turns_kept: int = 20,
        log_events: bool = True,
    ) -> None:
        super().__init__(domain, event_broker=None)
        if not 0 < window_min <= window_max:
            raise ValueError("need 0 < window_min <= window_max")
        self._trackers = database[TRACKERS]
        self._events = database[EVENTS]
        self.window_max = window_max
        self.window_min = window_min
        self.turns_kept = turns_kept
        self.log_events = log_events

    def ensure_indexes(self) -> None:
        self._events.create_index([("conversation", 1), ("seq", 1)])

    # Rasa's TrackerStore interface.

    async def create_tracker(self, sender_id: str, append_action_listen: bool = True) -> DialogueStateTracker:
        """A new tracker in memory; the first ``commit`` creates its document."""
        tracker = self.init_tracker(sender_id)
        if append_action_listen:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        return tracker

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        prefetched = _prefetched.get()
        if prefetched is not None and prefetched[0] == sender_id:
            _prefetched.set(None)
            document = prefetched[1]
        else:
            document = await self.fetch(sender_id)
        return None if document is None else self.restore(document)

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        """Every logged event of the conversation, from the event log (not for the hot path)."""
        rows = await asyncio.to_thread(
            lambda: list(self._events.find({"conversation": conversation_id}).sort("seq", 1))
        )
        if not rows:
            return await self.retrieve(conversation_id)
        events = [Event.from_parameters(json.loads(row["event"])) for row in rows]
        return DialogueStateTracker.from_events(conversation_id, events, self.domain.slots)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.commit(tracker)

    async def keys(self) -> Iterable[str]:
        return await asyncio.to_thread(lambda: [doc["_id"] for doc in self._trackers.find({}, {"_id": 1})])

    # Our own.

    async def fetch(self, sender_id: str) -> dict[str, Any] | None:
        """The conversation's document (None for a new conversation)."""
        return await asyncio.to_thread(self._trackers.find_one, {"_id": sender_id})

    @staticmethod
    def prefetched(sender_id: str, document: dict[str, Any] | None) -> None:
        """Lets the next ``retrieve`` of ``sender_id`` in this task use ``document`` instead of reading again."""
        _prefetched.set((sender_id, document))

    @staticmethod
    def stored_turn(document: dict[str, Any] | None, turn_id: str) -> list[StoredOutput] | None:
        """The outputs a turn stored when it ran, or None when it never completed."""
        if document is None:
            return None
        for turn in document.get("turns", []):
            if turn["id"] == turn_id:
                return [StoredOutput(item["kind"], bytes(item["payload"])) for item in turn["outputs"]]
        return None

    def restore(self, document: dict[str, Any]) -> DialogueStateTracker:
        """The tracker of a document: its base state replayed as events, then the window."""
        prefix = state_events(json.loads(document["base"]))
        window = tuple(document["window"])
        events = [*prefix, *(Event.from_parameters(json.loads(item)) for item in window)]
        tracker = DialogueStateTracker.from_events(document["_id"], events, self.domain.slots)
        setattr(
            tracker,
            _LOADED,
            _Loaded(
                version=document["version"],
                restored_events=len(events),
                prefix_events=len(prefix),
                window=window,
                turns=tuple(document.get("turns", ())),
                event_count=document.get("event_count", len(window)),
            ),
        )
        return tracker

    def new_events(self, tracker: DialogueStateTracker) -> list[Event]:
        """Events added to ``tracker`` since it was read from (or created for) the store."""
        loaded: _Loaded | None = getattr(tracker, _LOADED, None)
        start = loaded.restored_events if loaded else 0
        return list(islice(tracker.events, start, None))

    async def commit(
        self, tracker: DialogueStateTracker, turn_id: str | None = None, outputs: Sequence[StoredOutput] = ()
    ) -> None:
        """Saves the tracker's new events and, under ``turn_id``, the turn's outputs, in one write."""
        loaded: _Loaded | None = getattr(tracker, _LOADED, None)
        new = self.new_events(tracker)
        window = [*(loaded.window if loaded else ()), *(json.dumps(event.as_dict(), ensure_ascii=False) for event in new)]
        base_tracker_events = None
        if len(window) > self.window_max:
            cut = turn_boundary(window, len(window) - self.window_min)
            prefix_count = loaded.prefix_events if loaded else 0
            base_tracker_events = list(islice(tracker.events, 0, prefix_count + cut))
            window = window[cut:]
        if base_tracker_events is not None:
            base = tracker_state(DialogueStateTracker.from_events(tracker.sender_id, base_tracker_events, self.domain.slots))
        elif loaded:
            base = None  # unchanged
        else:
            base = {}
        turns = list(loaded.turns if loaded else ())
        if turn_id is not None:
            turns.append({"id": turn_id, "outputs": [{"kind": o.kind, "payload": Binary(o.payload)} for o in outputs]})
        turns = turns[-self.turns_kept :]
        event_count = (loaded.event_count if loaded else 0) + len(new)
        fields: dict[str, Any] = {
            "window": window,
            "turns": turns,
            "event_count": event_count,
            "paused": tracker.is_paused(),
            "updated_at": datetime.now(timezone.utc),
        }
        if base is not None:
            fields["base"] = json.dumps(base, ensure_ascii=False)
        version = loaded.version if loaded else 0
        await asyncio.to_thread(self._write, tracker.sender_id, version, fields)
        if self.log_events and new:
            first_seq = event_count - len(new)
            await asyncio.to_thread(self._log, tracker.sender_id, first_seq, new)
        setattr(
            tracker,
            _LOADED,
            _Loaded(
                version=version + 1,
                restored_events=len(tracker.events),
                prefix_events=len(tracker.events) - len(window),
                window=tuple(window),
                turns=tuple(turns),
                event_count=event_count,
            ),
        )

    def _write(self, sender_id: str, version: int, fields: dict[str, Any]) -> None:
        if version == 0:
            try:
                self._trackers.insert_one({"_id": sender_id, "version": 1, **fields})
            except DuplicateKeyError:
                raise StaleTrackerError(f"conversation {sender_id} was created by another writer") from None
            return
        result = self._trackers.update_one({"_id": sender_id, "version": version}, {"$set": {**fields, "version": version + 1}})
        if result.matched_count == 0:
            raise StaleTrackerError(f"conversation {sender_id} changed since version {version}")

    def _log(self, sender_id: str, first_seq: int, events: list[Event]) -> None:
        rows = [
            {
                "_id": f"{sender_id}/{first_seq + offset:09d}",
                "conversation": sender_id,
                "seq": first_seq + offset,
                "event": json.dumps(event.as_dict(), ensure_ascii=False),
            }
            for offset, event in enumerate(events)
        ]
        try:
            self._events.insert_many(rows, ordered=False)
        except BulkWriteError as error:
            if any(item.get("code") != _DUPLICATE_KEY for item in error.details.get("writeErrors", [])):
                raise


def turn_boundary(window: Sequence[str], earliest: int) -> int:
    """The first index at or after ``earliest`` where a turn starts (an ``action_listen``); else ``earliest``."""
    for index in range(max(earliest, 0), len(window)):
        event = json.loads(window[index])
        if event.get("event") == "action" and event.get("name") == ACTION_LISTEN_NAME:
            return index
    return max(earliest, 0)


def tracker_state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """What a window's prefix must restore: changed slots, the active loop, paused."""
    slots = {
        name: slot.value for name, slot in tracker.slots.items() if slot.value != slot.initial_value
    }
    active = tracker.active_loop
    loop = None
    if active is not None and active.name:
        loop = {"name": active.name, "is_interrupted": active.is_interrupted, "rejected": active.rejected}
    return {"slots": slots, "active_loop": loop, "paused": tracker.is_paused()}


def state_events(state: dict[str, Any]) -> list[Event]:
    """Events that rebuild ``tracker_state``'s result on an empty tracker."""
    events: list[Event] = [SlotSet(name, value) for name, value in (state.get("slots") or {}).items()]
    loop = state.get("active_loop")
    if loop:
        events.append(ActiveLoop(loop["name"]))
        if loop.get("is_interrupted"):
            events.append(LoopInterrupted(True))
        if loop.get("rejected"):
            events.append(ActionExecutionRejected(loop["name"]))
    if state.get("paused"):
        events.append(ConversationPaused())
    return events
