"""Our Rasa tracker store on MongoDB: one document per conversation, version-checked, flat per turn.

Rasa's ``MongoTrackerStore`` (3.6) diffs against a stale read with no version check, indexes
``sender_id`` non-uniquely, blocks the event loop with synchronous pymongo and rereads and rewrites
the whole history every turn. This store instead keeps, per conversation, one document
(``_id`` = conversation key, unique by construction) holding:

* ``base``: the state (slots, active loop, paused) at the start of the window, as JSON;
* ``window``: the latest events (JSON strings), as many as the policies and the generator's
  history read back (``window.py``), cut where a turn starts;
* ``turn_ids`` and ``outputs``: the ids of the latest turns and, as one compressed BSON blob, the
  replies each published, so a redelivered message republishes the stored replies instead of
  running the turn again (FerretDB decodes every element of a document on every read and write,
  and on an update every document of the collection: a blob is one element);
* ``version`` and ``write_id``: bumped (and drawn anew) by every write; a write based on an older
  version matches nothing and fails with ``StaleTrackerError`` (a stale writer loses, nothing is
  overwritten).

A turn reads one document and writes it once, and both are bounded by the window and the kept
turns, so the cost of a turn does not grow with the conversation. Every event is also appended to
``dialogue_events`` (one document per event, ``_id`` = conversation/sequence, so replays never
duplicate) for transcripts and ``retrieve_full_tracker``. All driver calls run in a worker thread
with the client's short timeouts. Events are stored as JSON strings, which keeps FerretDB's limits
(no nested arrays, no ``.``/``$`` keys) out of Rasa's event format.

After a write the store keeps the window's events in memory, keyed by conversation, version and
write id; the next turn still reads the document (redelivery, version) but rebuilds the tracker
from those events instead of parsing the window again when the document is the one it wrote.
Every write draws a new write id, so a kept window is never used on a document another writer
wrote, even one deleted and written again up to the same version.

No lock store is needed: the dialogue service consumes ``conversation.understood.v1`` keyed by
conversation, so one conversation's messages arrive in order on one partition and are handled one
at a time by its one owner. Two writers of one conversation can only meet across a consumer-group
rebalance; the version check makes the late one fail and retry on the fresh state.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from itertools import islice
from typing import Any

import bson
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
from switchboard.dialogue.window import WindowSize, window_start

TRACKERS = "dialogue_trackers"
EVENTS = "dialogue_events"
# The attribute a restored tracker carries: which document version and how many events it was built from.
_LOADED = "_switchboard_loaded"
_DUPLICATE_KEY = 11000
# Until the agent's policies size it (``Assistant.load``): what the demo assistant reads.
DEFAULT_WINDOW = WindowSize(actions=5, user_turns=2, texts=6)
# A document read ahead by the turn in this task, handed to Rasa's next ``retrieve``.
_prefetched: contextvars.ContextVar[tuple[str, dict[str, Any] | None] | None] = contextvars.ContextVar(
    "prefetched_tracker", default=None
)
# Rasa resolves an event's class by walking every subclass of Event for each event it parses.
_event_classes: dict[str, type[Event]] = {}


class StaleTrackerError(DialogueRetryableError):
    """Another writer saved this conversation since it was read; retry the turn on fresh state."""


@dataclass(frozen=True)
class StoredOutput:
    """One event a turn published: its kind (which topic) and the serialized protobuf message."""

    kind: str
    payload: bytes


@dataclass(frozen=True)
class _Loaded:
    """What a tracker was built from: the document's version and its window."""

    version: int
    restored_events: int
    prefix_events: int
    base: dict[str, Any]
    window: tuple[str, ...]
    turns: tuple[dict[str, Any], ...]
    event_count: int


@dataclass(frozen=True)
class _Kept:
    """The window a commit wrote, kept in memory for the conversation's next turn."""

    write_id: str
    loaded: _Loaded
    events: tuple[Event, ...]

    def wrote(self, document: dict[str, Any]) -> bool:
        """True when ``document`` is the very one this window was written as (no other write since)."""
        return (document["version"], document.get("write_id")) == (self.loaded.version, self.write_id)


class ConversationTrackerStore(TrackerStore):
    """Rasa ``TrackerStore`` on a MongoDB-wire database (see the module docstring)."""

    def __init__(
        self,
        domain: Domain,
        database: Database,
        *,
        window: WindowSize = DEFAULT_WINDOW,
        turns_kept: int = 20,
        kept_conversations: int = 1024,
        log_events: bool = True,
    ) -> None:
        super().__init__(domain, event_broker=None)
        if turns_kept < 1 or kept_conversations < 0:
            raise ValueError("need turns_kept >= 1 and kept_conversations >= 0")
        self._trackers = database[TRACKERS]
        self._events = database[EVENTS]
        self.window = window
        self.turns_kept = turns_kept
        self.kept_conversations = kept_conversations
        self.log_events = log_events
        self._kept: OrderedDict[str, _Kept] = OrderedDict()

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
        events = [event_of(row["event"]) for row in rows]
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
        if document is None or turn_id not in document.get("turn_ids", ()):
            return None
        for turn in stored_turns(document):
            if turn["id"] == turn_id:
                return [StoredOutput(item["kind"], bytes(item["payload"])) for item in turn["outputs"]]
        return None

    def restore(self, document: dict[str, Any]) -> DialogueStateTracker:
        """The tracker of a document: its base state replayed as events, then the window.

        When this store wrote the document (same version and write id), the window's events it
        kept are replayed instead of parsing the stored JSON again.
        """
        sender_id = document["_id"]
        kept = self._kept.pop(sender_id, None)
        if kept is not None and kept.wrote(document):
            loaded = kept.loaded
            window_events: Sequence[Event] = kept.events
        else:
            window = tuple(document["window"])
            loaded = _Loaded(
                version=document["version"],
                restored_events=0,
                prefix_events=0,
                base=json.loads(document["base"]),
                window=window,
                turns=tuple(stored_turns(document)),
                event_count=document.get("event_count", len(window)),
            )
            window_events = [event_of(item) for item in window]
        prefix = state_events(loaded.base)
        events = [*prefix, *window_events]
        tracker = DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
        setattr(tracker, _LOADED, replace(loaded, restored_events=len(events), prefix_events=len(prefix)))
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
        prefix_count = loaded.prefix_events if loaded else 0
        window = [*(loaded.window if loaded else ()), *(json.dumps(e.as_dict(), ensure_ascii=False) for e in new)]
        window_events = list(islice(tracker.events, prefix_count, None))
        cut = window_start(window_events, self.window)
        if cut > 0:
            before = list(islice(tracker.events, 0, prefix_count + cut))
            base = tracker_state(DialogueStateTracker.from_events(tracker.sender_id, before, self.domain.slots))
            window, window_events = window[cut:], window_events[cut:]
        else:
            base = loaded.base if loaded else {}
        turns = list(loaded.turns if loaded else ())
        if turn_id is not None:
            turns.append({"id": turn_id, "outputs": [{"kind": o.kind, "payload": Binary(o.payload)} for o in outputs]})
        turns = turns[-self.turns_kept :]
        event_count = (loaded.event_count if loaded else 0) + len(new)
        write_id = uuid.uuid4().hex
        fields: dict[str, Any] = {
            "window": window,
            "turn_ids": [turn["id"] for turn in turns],
            "outputs": Binary(zlib.compress(bson.encode({"turns": turns}), 1)),
            "event_count": event_count,
            "paused": tracker.is_paused(),
            "updated_at": datetime.now(timezone.utc),
            "write_id": write_id,
        }
        if cut > 0 or loaded is None:
            fields["base"] = json.dumps(base, ensure_ascii=False)
        version = loaded.version if loaded else 0
        self._kept.pop(tracker.sender_id, None)
        logged = new if self.log_events else []
        await asyncio.to_thread(self._save, tracker.sender_id, version, fields, event_count - len(new), logged)
        written = _Loaded(
            version=version + 1,
            restored_events=len(tracker.events),
            prefix_events=len(tracker.events) - len(window),
            base=base,
            window=tuple(window),
            turns=tuple(turns),
            event_count=event_count,
        )
        setattr(tracker, _LOADED, written)
        self._keep(tracker.sender_id, _Kept(write_id, written, tuple(window_events)))

    def _keep(self, sender_id: str, kept: _Kept) -> None:
        if self.kept_conversations == 0:
            return
        self._kept[sender_id] = kept
        self._kept.move_to_end(sender_id)
        while len(self._kept) > self.kept_conversations:
            self._kept.popitem(last=False)

    def _save(self, sender_id: str, version: int, fields: dict[str, Any], first_seq: int, events: list[Event]) -> None:
        """The version-checked write, then (only when it won) the event log; one worker-thread hop."""
        self._write(sender_id, version, fields)
        if events:
            self._log(sender_id, first_seq, events)

    def _write(self, sender_id: str, version: int, fields: dict[str, Any]) -> None:
        if version == 0:
            try:
                self._trackers.insert_one({"_id": sender_id, "version": 1, **fields})
            except DuplicateKeyError:
                raise StaleTrackerError(f"conversation {sender_id} was created by another writer") from None
            return
        result = self._trackers.update_one(
            {"_id": sender_id, "version": version}, {"$set": {**fields, "version": version + 1}}
        )
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


def stored_turns(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest turns' ids and outputs of a document, oldest first."""
    blob = document.get("outputs")
    return list(bson.decode(zlib.decompress(blob))["turns"]) if blob else []


def event_of(serialized: str) -> Event:
    """A Rasa event from its stored JSON (``Event.from_parameters`` with the class lookup cached)."""
    parameters = json.loads(serialized)
    name = parameters.get("event")
    cls = _event_classes.get(name)
    if cls is None:
        cls = Event.resolve_by_type(name)
        if cls is None:
            raise ValueError(f"stored event {name!r} is not a Rasa event")
        _event_classes[name] = cls
    return cls._from_parameters(parameters)


def tracker_state(tracker: DialogueStateTracker) -> dict[str, Any]:
    """What a window's prefix must restore: changed slots, the active loop, paused."""
    slots = {name: slot.value for name, slot in tracker.slots.items() if slot.value != slot.initial_value}
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
