"""Text as customers type it, for tests."""

from __future__ import annotations

_TO_FULL_WIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


def full_width(text: str) -> str:
    """``text`` in full-width letters, digits and punctuation, as a Chinese input method types it (spaces stay)."""
    return text.translate(_TO_FULL_WIDTH)
