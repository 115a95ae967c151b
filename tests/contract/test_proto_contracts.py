"""The contracts in proto/ compile, and every message survives a round trip through the wire format."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from switchboard.core import protogen
from switchboard.core.topics import ALL_TOPICS

PROTO_DIR = Path(__file__).resolve().parents[2] / "proto"
GENERATED_MODULES = [
    "switchboard.api.events.v1.envelope_pb2",
    "switchboard.api.events.v1.understanding_pb2",
    "switchboard.api.events.v1.conversation_pb2",
    "switchboard.api.events.v1.handoff_pb2",
    "switchboard.api.nlu.v1.nlu_service_pb2",
    "switchboard.api.generator.v1.generator_service_pb2",
]
SAMPLE_TEXT = "我的订单 SB1003 还没到 😡 where is it?"


def test_proto_sources_compile(tmp_path: Path) -> None:
    compiled = protogen.compile_protos(PROTO_DIR, tmp_path)
    assert {path.name for path in compiled} >= {"envelope.proto", "conversation.proto", "nlu_service.proto"}
    assert (tmp_path / "switchboard/api/generator/v1/generator_service_pb2_grpc.py").exists()


def test_broken_proto_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "proto/switchboard/broken/v1"
    broken.mkdir(parents=True)
    (broken / "broken.proto").write_text('syntax = "proto3"; message Broken { strin text = 1; }')
    with pytest.raises(protogen.ProtoCompileError):
        protogen.compile_protos(tmp_path / "proto", tmp_path / "out")


def test_every_proto_file_is_generated_into_this_environment() -> None:
    for path in protogen.proto_sources(PROTO_DIR):
        module = ".".join(path.relative_to(PROTO_DIR).with_suffix("").parts) + "_pb2"
        assert module in GENERATED_MODULES, f"add {module} to GENERATED_MODULES"
        importlib.import_module(module)


def _fill(message: Message, depth: int = 0) -> Message:
    """Sets every field of ``message`` (one member per oneof, recursing into messages)."""
    seen_oneofs: set[str] = set()
    for field in message.DESCRIPTOR.fields:
        if field.containing_oneof is not None:
            if field.containing_oneof.name in seen_oneofs:
                continue
            seen_oneofs.add(field.containing_oneof.name)
        _set_field(message, field, depth)
    return message


def _scalar(field: FieldDescriptor, index: int = 0) -> object:
    if field.type == FieldDescriptor.TYPE_ENUM:
        values = field.enum_type.values
        return values[min(1 + index, len(values) - 1)].number
    if field.type == FieldDescriptor.TYPE_STRING:
        return f"{SAMPLE_TEXT} #{index}"
    if field.type == FieldDescriptor.TYPE_BYTES:
        return b"\x00\xff"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return 0.5 + index
    return 7 + index


def _is_repeated(field: FieldDescriptor) -> bool:
    # protobuf 5+ has is_repeated and dropped label; the dialogue environment runs protobuf 4.
    if hasattr(field, "is_repeated"):
        return bool(field.is_repeated)
    return field.label == FieldDescriptor.LABEL_REPEATED


def _set_field(message: Message, field: FieldDescriptor, depth: int) -> None:
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        target = getattr(message, field.name)
        key_field, value_field = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
        for index in range(2):
            key = _scalar(key_field, index)
            if value_field.message_type is None:
                target[key] = _scalar(value_field, index)
            else:
                _fill(target[key], depth + 1)
        return
    repeated = _is_repeated(field)
    if field.message_type is not None:
        if field.message_type.full_name == "google.protobuf.Timestamp":
            getattr(message, field.name).FromSeconds(1_764_000_000)
        elif depth > 4:
            return
        elif repeated:
            for _ in range(2):
                _fill(getattr(message, field.name).add(), depth + 1)
        else:
            _fill(getattr(message, field.name), depth + 1)
        return
    if repeated:
        getattr(message, field.name).extend([_scalar(field, 0), _scalar(field, 1)])
    else:
        setattr(message, field.name, _scalar(field, 0))


def _all_messages() -> list[Descriptor]:
    found: list[Descriptor] = []
    for name in GENERATED_MODULES:
        module = importlib.import_module(name)
        pending = list(module.DESCRIPTOR.message_types_by_name.values())
        while pending:
            descriptor = pending.pop()
            if not descriptor.GetOptions().map_entry:
                found.append(descriptor)
            pending.extend(descriptor.nested_types)
    return found


@pytest.mark.parametrize("descriptor", _all_messages(), ids=lambda d: d.full_name)
def test_message_round_trips(descriptor: Descriptor) -> None:
    module = sys.modules[descriptor.file.name.replace("/", ".").removesuffix(".proto") + "_pb2"]
    message_type = getattr(module, descriptor.name, None)
    if message_type is None:  # nested type
        outer = getattr(module, descriptor.containing_type.name)
        message_type = getattr(outer, descriptor.name)
    original = _fill(message_type())
    payload = original.SerializeToString()
    decoded = message_type.FromString(payload)
    assert decoded == original
    assert decoded.SerializeToString(deterministic=True) == original.SerializeToString(deterministic=True)
    assert original.ListFields(), f"{descriptor.full_name} has no fields set"


@pytest.mark.parametrize("topic", ALL_TOPICS, ids=lambda t: t.name)
def test_every_topic_carries_an_enveloped_event_that_round_trips(topic) -> None:
    event = _fill(topic.message_type())
    assert (
        topic.message_type.DESCRIPTOR.fields_by_number[1].message_type.full_name == "switchboard.api.events.v1.Envelope"
    )
    assert topic.decode(topic.encode(event)) == event
    assert topic.key(event) == f"{event.envelope.tenant_id}/{event.envelope.conversation_id}".encode()
    assert topic.name.endswith(".v1")
