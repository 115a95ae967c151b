"""The tenant's knowledge base: bilingual markdown files, cut into passages that answers cite.

Files are ``tenants/<id>/knowledge/<topic>.<lang>.md``. Each ``##`` section is one passage, titled
"<file title> / <section>"; its source is ``<topic>.<lang>.md#<section slug>``. The knowledge-base
version is a digest of every file, so caches keyed by it die when any file changes.

A section may declare the words customers use for its topic in a comment line,
``<!-- keywords: 运费, 包邮, 免运费 -->`` (commas, "、" or ";" between them): they are matched with the
passage (retrieval's key-term reranker and the answer gate; the dense index embeds title and text only)
but never shown to the customer, so a paraphrase ("免邮", "free delivery") finds the section its words do not appear in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from switchboard.core.logs import get_logger
from switchboard.generator.errors import GeneratorPermanentError

log = get_logger(__name__)

LANGUAGES = ("zh", "en")
_FILE_NAME = re.compile(r"^(?P<topic>[a-z0-9-]+)\.(?P<lang>zh|en)\.md$")
_KEYWORDS = re.compile(r"^\s*<!--\s*(?:keywords|关键词)\s*[:：](?P<words>.*?)-->\s*$", re.IGNORECASE)
_KEYWORD_SEPARATOR = re.compile(r"[,，、;；]")
MAX_PASSAGE_CHARS = 1500


@dataclass(frozen=True, slots=True)
class Passage:
    """One citable piece of the knowledge base."""

    id: str  # stable: tenant, source and text digest
    tenant_id: str
    language: str
    source: str
    title: str
    text: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    tenant_id: str
    version: str
    passages: tuple[Passage, ...]

    @property
    def text(self) -> str:
        return "\n".join(f"{p.title} {p.text} {' '.join(p.keywords)}" for p in self.passages)


def load_knowledge_base(tenant_id: str, folder: Path) -> KnowledgeBase:
    """Reads and cuts every knowledge file of a tenant; raises on a misnamed or empty file.

    A tenant without knowledge files (none written yet) has an empty knowledge base: every question
    gets the honest "I don't know, shall I get a colleague", none an error."""
    files = sorted(folder.glob("*.md"))
    if not files:
        log.warning("knowledge.empty", tenant_id=tenant_id, folder=str(folder))
    digest = hashlib.sha256()
    passages: list[Passage] = []
    for path in files:
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise GeneratorPermanentError(f"{path.name}: name knowledge files <topic>.<zh|en>.md")
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode())
        found = list(_sections(tenant_id, match["lang"], path.name, text))
        if not found:
            raise GeneratorPermanentError(f"{path.name}: no text")
        passages.extend(found)
    return KnowledgeBase(tenant_id, digest.hexdigest()[:16], tuple(passages))


def _sections(tenant_id: str, language: str, file_name: str, text: str):
    title = ""
    heading = ""
    lines: list[str] = []
    keywords: list[str] = []
    for line in [*text.splitlines(), "## "]:
        if line.startswith("# ") and not title:
            title = line[2:].strip()
            continue
        if line.startswith("## "):
            body = " ".join(part.strip() for part in lines if part.strip())
            if body:
                yield _passage(tenant_id, language, file_name, title, heading, body, tuple(keywords))
            heading, lines, keywords = line[3:].strip(), [], []
            continue
        declared = _KEYWORDS.match(line)
        if declared:
            keywords.extend(word.strip() for word in _KEYWORD_SEPARATOR.split(declared["words"]) if word.strip())
            continue
        lines.append(line)


def _passage(
    tenant_id: str, language: str, file_name: str, title: str, heading: str, body: str, keywords: tuple[str, ...]
) -> Passage:
    if len(body) > MAX_PASSAGE_CHARS:
        raise GeneratorPermanentError(f"{file_name}#{heading}: a section holds at most {MAX_PASSAGE_CHARS} characters")
    slug = re.sub(r"[^\w]+", "-", heading.lower()).strip("-") or "intro"
    source = f"{file_name}#{slug}"
    full_title = f"{title} / {heading}" if heading else title
    passage_id = hashlib.sha256(f"{tenant_id}\0{source}\0{body}".encode()).hexdigest()[:32]
    return Passage(passage_id, tenant_id, language, source, full_title, body, keywords)
