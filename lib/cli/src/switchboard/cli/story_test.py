"""``switchboard test``: the tenant's test stories through the running system, and an NLU report."""

from __future__ import annotations

from pathlib import Path

from switchboard.cli.output import say, warn
from switchboard.cli.rest import RestClient, RestError, rest_key
from switchboard.cli.stories import (
    StoryFileError,
    check_turn,
    conversation_language,
    read_responses,
    read_test_stories,
)
from switchboard.core.tenants import TenantError, load_tenant


def run_stories(tenant_folder: Path, url: str) -> int:
    """Runs every story in a new conversation; prints PASS/FAIL per story; 1 when any fails."""
    try:
        tenant = load_tenant(tenant_folder / "tenant.yaml")
        key = rest_key(tenant_folder)
        stories = read_test_stories(tenant_folder / "tests" / "test_stories.yml")
    except (TenantError, RestError, StoryFileError) as error:
        warn(str(error))
        return 2
    served = [str(code) for code in tenant.languages]
    responses = read_responses(tenant_folder, str(tenant.default_language))
    passed = 0
    for story in stories:
        if story.problem:
            say(f"FAIL {story.name}: {story.problem}")
            continue
        client = RestClient(url, key)
        language = str(tenant.default_language)
        failure = ""
        for number, turn in enumerate(story.turns, start=1):
            language = conversation_language(turn.text, language, served)
            try:
                replies = [reply.text for reply in client.send(turn.text)]
            except RestError as error:
                warn(str(error))
                return 2
            problem = check_turn(turn, replies, responses, language)
            if problem:
                failure = f"turn {number} ({turn.text!r}): {problem}"
                break
        if failure:
            say(f"FAIL {story.name}: {failure}")
        else:
            passed += 1
            say(f"PASS {story.name}")
    say(f"{tenant_folder.name}: {passed}/{len(stories)} stories passed")
    return 0 if passed == len(stories) else 1
