"""Rasa's check of custom action responses, with the schema compiled once: same verdicts, same errors."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from switchboard.dialogue.action_runner import InProcessActionEndpoint


@pytest.fixture()
def action() -> RemoteAction:
    InProcessActionEndpoint([], timeout_s=1.0)
    return RemoteAction("action_anything", EndpointConfig(url="inprocess://actions"))


def test_a_valid_response_passes(action: RemoteAction) -> None:
    response = {"events": [{"event": "slot", "name": "task", "value": "return_item"}], "responses": [{"text": "hi"}]}
    assert action._validate_action_result(response)


@pytest.mark.parametrize(
    "response",
    [{"events": [{"event": "no_such_event"}]}, {"events": "not a list"}, {"responses": [1]}],
)
def test_an_invalid_response_is_refused_as_rasa_refuses_it(action: RemoteAction, response: dict) -> None:
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(response)
