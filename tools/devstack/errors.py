"""The one root exception of devstack; the CLI prints its message and exits non-zero."""


class DevstackError(Exception):
    """A step failed in a way the user can act on; the message says what to do."""
