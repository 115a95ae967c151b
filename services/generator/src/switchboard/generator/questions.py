"""One message, several questions: "满多少包邮？几点前下单当天发？" asks two things and deserves two answers.

A message is cut at question marks, full stops, exclamation marks, semicolons and line breaks, and at a
comma before a word that adds a question ("，另外退款多久到账", ", also who pays the postage"); a
piece too short to ask anything ("好的。", "hi!") joins the piece after it. Whether the pieces really are
separate questions is decided by retrieval (the answerer answers them one by one only when they find
different passages), not here.
"""

from __future__ import annotations

import re

_END = re.compile(
    r"(?<=[?？!！。；;])|\n+|(?<=\.)\s+|[,，]\s*(?=另外|还有|还想问|顺便问|再问)|,\s*(?=(?:and\s+)?also\b|plus\b)|"
    r",\s*(?=and\s+(?:when|how|what|where|who|which|why|do|does|can|could|is|are|will)\b)",
    re.IGNORECASE,
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z0-9]+")
MIN_CJK = 3
MIN_WORDS = 3
MAX_QUESTIONS = 4


def _asks_something(piece: str) -> bool:
    return len(_CJK.findall(piece)) >= MIN_CJK or len(_WORD.findall(piece)) >= MIN_WORDS


def split_questions(text: str) -> list[str]:
    """The message's questions in order; one element when it holds a single question (or more than
    ``MAX_QUESTIONS``, where answering each would bury the customer)."""
    pieces: list[str] = []
    pending = ""
    for raw in _END.split(text):
        piece = f"{pending}{raw.strip()}" if pending else raw.strip()
        if not piece:
            continue
        if _asks_something(piece):
            pieces.append(piece)
            pending = ""
        else:
            pending = f"{piece} " if _WORD.search(piece[-1:]) else piece
    if pending and pieces:
        pieces[-1] = f"{pieces[-1]} {pending.strip()}"
    if len(pieces) < 2 or len(pieces) > MAX_QUESTIONS:
        return [text.strip()]
    return pieces
