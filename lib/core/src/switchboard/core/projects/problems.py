"""What validation finds: one ``Problem`` per mistake, naming the file and line it is on."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class Severity(str, Enum):
    """An error stops a tenant from working as written; a warning is worth reading but runs."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding. ``line`` and ``column`` are 1-based; ``line`` is None for a missing file."""

    file: Path
    line: int | None
    column: int | None
    severity: Severity
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def format(self, relative_to: Path | None = None) -> str:
        """``file:line:column: severity: message``, the shape editors and CI annotate from."""
        file = self.file
        if relative_to is not None:
            with contextlib.suppress(ValueError):
                file = self.file.resolve().relative_to(relative_to.resolve())
        where = str(file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.severity.value}: {self.message}"


@dataclass(slots=True)
class Findings:
    """Collects problems while the checks run; each check adds to it instead of raising."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, file: Path, line: int | None, message: str, column: int | None = None) -> None:
        self.problems.append(Problem(file, line, column, Severity.ERROR, message))

    def warning(self, file: Path, line: int | None, message: str, column: int | None = None) -> None:
        self.problems.append(Problem(file, line, column, Severity.WARNING, message))

    def sorted(self) -> list[Problem]:
        """Errors and warnings in file and line order, so output reads top to bottom."""
        return sorted(self.problems, key=lambda p: (str(p.file), p.line or 0, p.column or 0, p.message))
