"""Checks of the knowledge base: ``knowledge/<topic>.<lang>.md`` names, text, section sizes, both languages.

Mirrors the rules the generator applies when it loads the files, so a mistake shows at ``validate``
instead of as a generator that refuses to start.
"""

from __future__ import annotations

import re
from collections import defaultdict

from switchboard.core.projects.problems import Findings
from switchboard.core.projects.project import Project
from switchboard.core.tenants import Tenant

FILE_NAME = re.compile(r"^(?P<topic>[a-z0-9-]+)\.(?P<lang>[a-z]{2})\.md$")
KB_LANGUAGES = ("zh", "en")
MAX_SECTION_CHARS = 1500  # the generator's limit on one passage
_KEYWORDS = re.compile(r"^\s*<!--\s*(?:keywords|关键词)\s*[:：].*?-->\s*$", re.IGNORECASE)


def check_knowledge(project: Project, tenant: Tenant | None, findings: Findings) -> None:
    folder = project.folder / "knowledge"
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")) if folder.is_dir() else []
    if not files:
        findings.warning(folder, None, "no knowledge files: every question gets the honest 'I don't know'")
        return
    languages = [str(code) for code in tenant.languages] if tenant else list(KB_LANGUAGES)
    topics: dict[str, set[str]] = defaultdict(set)
    for path in files:
        match = FILE_NAME.match(path.name)
        if match is None or match["lang"] not in KB_LANGUAGES:
            findings.error(
                path, None, "name knowledge files <topic>.<lang>.md: topic in a-z, 0-9 and '-', lang zh or en"
            )
            continue
        if match["lang"] not in languages:
            findings.warning(path, None, f"language {match['lang']!r} is not one of the tenant's {languages}")
        topics[match["topic"]].add(match["lang"])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            findings.error(path, None, f"cannot read as UTF-8 text: {error}")
            continue
        _check_sections(path, text, findings)
    for topic, present in sorted(topics.items()):
        for language in languages:
            if language in KB_LANGUAGES and language not in present:
                have = ", ".join(f"{topic}.{code}.md" for code in sorted(present))
                findings.warning(folder / f"{topic}.{language}.md", None, f"missing: only {have} answers this topic")


def _check_sections(path, text: str, findings: Findings) -> None:
    heading_line, size, any_text = 1, 0, False
    for number, line in enumerate([*text.splitlines(), "## "], start=1):
        if line.startswith("## "):
            if size > MAX_SECTION_CHARS:
                findings.error(path, heading_line, f"this section has {size} characters; at most {MAX_SECTION_CHARS}")
            heading_line, size = number, 0
        elif line.startswith("# ") or _KEYWORDS.match(line):
            continue
        elif line.strip():
            size += len(line.strip()) + 1
            any_text = True
    if not any_text:
        findings.error(path, 1, "no text: write a '# Title' and '## Section' paragraphs")
