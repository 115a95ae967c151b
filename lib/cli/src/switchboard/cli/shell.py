"""``switchboard shell``: talk to a tenant through the running system, as a REST client would."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from switchboard.cli.output import say, warn
from switchboard.cli.rest import RestClient, RestError, rest_key

PROMPT = "you> "


def run(tenant_folder: Path, url: str, lines: Iterable[str] | None = None) -> int:
    """Reads messages from ``lines`` (the terminal when None) until end of input or ``/quit``."""
    try:
        client = RestClient(url, rest_key(tenant_folder))
    except RestError as error:
        warn(str(error))
        return 2
    interactive = lines is None
    if interactive:
        say(f"talking to {tenant_folder.name} at {url} as {client.sender}; /quit or Ctrl-D ends")
    source = _terminal() if interactive else iter(lines)
    for line in source:
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            break
        try:
            replies = client.send(text)
        except RestError as error:
            warn(str(error))
            return 1
        if not replies:
            say("bot> (no reply in time)")
        for reply in replies:
            say(f"bot> {reply.text}")
            for index, title in enumerate(reply.buttons, start=1):
                say(f"     {index}. {title}")
    return 0


def _terminal():
    while True:
        try:
            yield input(PROMPT)
        except EOFError:
            sys.stdout.write("\n")
            return
