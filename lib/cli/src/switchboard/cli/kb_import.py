"""``switchboard kb import``: a CSV or markdown file into the tenant's knowledge base.

A CSV has the columns ``topic, language, title, text`` and optionally ``keywords`` (separated by
commas, "、" or ";") and ``topic_title``: each row is one ``## title`` section of
``knowledge/<topic>.<language>.md``, rows of one topic and language in one file, in row order. A
markdown file is taken as one file already in the knowledge format (``# Title``, ``## Section``
paragraphs, optional ``<!-- keywords: ... -->`` lines), named by ``--topic`` and ``--language`` or by
its own ``<topic>.<lang>.md`` name. Every row is checked first: one bad row and nothing is written.
Existing files are kept unless ``--force``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from switchboard.cli.output import say, warn
from switchboard.core.projects.knowledge import FILE_NAME, KB_LANGUAGES, MAX_SECTION_CHARS

TOPIC = re.compile(r"^[a-z0-9-]+$")
REQUIRED_COLUMNS = ("topic", "language", "title", "text")
_KEYWORD_SEPARATOR = re.compile(r"[,，、;；]")


class KnowledgeImportError(ValueError):
    """The input cannot be imported; ``problems`` lists each bad row or file."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(slots=True)
class KnowledgeFile:
    """One ``<topic>.<lang>.md`` to write."""

    topic: str
    language: str
    title: str
    sections: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.topic}.{self.language}.md"

    def text(self) -> str:
        return f"# {self.title}\n" + "".join(self.sections)


def _section(title: str, text: str, keywords: str) -> str:
    words = [word.strip() for word in _KEYWORD_SEPARATOR.split(keywords) if word.strip()]
    declared = f"<!-- keywords: {', '.join(words)} -->\n" if words else ""
    body = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return f"\n## {title}\n{declared}{body}\n"


def read_csv(path: Path, languages: list[str]) -> list[KnowledgeFile]:
    """The files a CSV describes; raises with every bad row's number (the header is row 1)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise KnowledgeImportError([f"{path}: cannot read: {error.strerror}"]) from error
    with handle:
        reader = csv.DictReader(handle)
        columns = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise KnowledgeImportError([f"{path}: row 1: missing column(s) {', '.join(missing)}"])
        files: dict[tuple[str, str], KnowledgeFile] = {}
        problems: list[str] = []
        for number, raw in enumerate(reader, start=2):
            row = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key}
            found = _row_problems(row, languages)
            if found:
                problems.append(f"{path}: row {number}: {'; '.join(found)}")
                continue
            key = (row["topic"], row["language"])
            title = row.get("topic_title") or row["topic"].replace("-", " ").capitalize()
            target = files.setdefault(key, KnowledgeFile(row["topic"], row["language"], title))
            target.sections.append(_section(row["title"], row["text"], row.get("keywords", "")))
    if problems:
        raise KnowledgeImportError(problems)
    if not files:
        raise KnowledgeImportError([f"{path}: no rows"])
    return list(files.values())


def _row_problems(row: dict[str, str], languages: list[str]) -> list[str]:
    found = []
    if not TOPIC.match(row.get("topic", "")):
        found.append(f"topic {row.get('topic', '')!r}: lowercase letters, digits and '-'")
    if row.get("language") not in languages:
        found.append(f"language {row.get('language', '')!r}: one of {', '.join(languages)}")
    if not row.get("title"):
        found.append("title is empty")
    if "\n" in row.get("title", ""):
        found.append("title is one line")
    if not row.get("text"):
        found.append("text is empty")
    elif len(" ".join(row["text"].split())) > MAX_SECTION_CHARS:
        found.append(f"text has more than {MAX_SECTION_CHARS} characters (split it into several rows)")
    return found


def read_markdown(path: Path, topic: str | None, language: str | None, languages: list[str]) -> KnowledgeFile:
    named = FILE_NAME.match(path.name)
    topic = topic or (named["topic"] if named else None)
    language = language or (named["lang"] if named else None)
    problems = []
    if not topic or not TOPIC.match(topic):
        problems.append(f"{path}: give --topic (lowercase letters, digits and '-') or name the file <topic>.<lang>.md")
    if language not in languages:
        problems.append(f"{path}: give --language, one of {', '.join(languages)}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeImportError([f"{path}: cannot read as UTF-8 text: {error}"]) from error
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        problems.append(f"{path}: line 1: start with a '# Title' line")
    size, heading, any_text = 0, 1, False
    for number, line in enumerate([*lines, "## "], start=1):
        if line.startswith("## "):
            if size > MAX_SECTION_CHARS:
                problems.append(f"{path}: line {heading}: section longer than {MAX_SECTION_CHARS} characters")
            size, heading = 0, number
        elif line.strip() and not line.startswith("# ") and not line.lstrip().startswith("<!--"):
            size += len(line.strip()) + 1
            any_text = True
    if not any_text:
        problems.append(f"{path}: no text under the title")
    if problems:
        raise KnowledgeImportError(problems)
    assert topic and language
    return KnowledgeFile(topic, language, lines[0][2:].strip(), ["\n".join(lines[1:]).strip("\n") + "\n"])


def run(tenant_folder: Path, source: Path, *, topic: str | None, language: str | None, force: bool) -> int:
    if not tenant_folder.is_dir():
        warn(f"no tenant folder {tenant_folder}")
        return 2
    languages = _tenant_languages(tenant_folder)
    try:
        if source.suffix.lower() == ".csv":
            files = read_csv(source, languages)
        else:
            files = [read_markdown(source, topic, language, languages)]
    except KnowledgeImportError as error:
        for problem in error.problems:
            say(f"{problem}")
        say(f"nothing imported: {len(error.problems)} problem{'s' * (len(error.problems) != 1)}")
        return 1
    folder = tenant_folder / "knowledge"
    existing = [file.name for file in files if (folder / file.name).exists()]
    if existing and not force:
        say(f"not overwritten (use --force): {', '.join(f'knowledge/{name}' for name in existing)}")
        return 1
    folder.mkdir(exist_ok=True)
    for file in files:
        (folder / file.name).write_text(file.text(), encoding="utf-8")
        count = file.text().count("\n## ")
        say(f"wrote {tenant_folder.name}/knowledge/{file.name} ({count} section{'s' * (count != 1)})")
    return 0


def _tenant_languages(folder: Path) -> list[str]:
    from switchboard.core.tenants import TenantError, load_tenant

    try:
        return [str(code) for code in load_tenant(folder / "tenant.yaml").languages]
    except TenantError:
        return list(KB_LANGUAGES)
