"""Problems found in course files, each at a line and column of one file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding. `file` is relative to the course folder ("" for the folder itself)."""

    file: str
    line: int
    column: int
    severity: Severity
    message: str

    def format(self, folder: str) -> str:
        """`path:line:column: severity: message`, the path joined to the course folder as given."""
        return f"{join_path(folder, self.file)}:{self.line}:{self.column}: {self.severity}: {self.message}"


def join_path(folder: str, file: str) -> str:
    """`folder/file` without normalising what the user typed (``./x`` stays ``./x``)."""
    if not file:
        return folder
    if not folder or folder == ".":
        return file
    return folder.rstrip("/") + "/" + file


class Problems:
    """Collects the problems of one course."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def error(self, file: str, position: tuple[int, int], message: str) -> None:
        self.items.append(Problem(file, position[0], position[1], "error", message))

    def warning(self, file: str, position: tuple[int, int], message: str) -> None:
        self.items.append(Problem(file, position[0], position[1], "warning", message))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]

    def sorted(self) -> list[Problem]:
        """By file and position; problems at the same place keep the order they were found in."""
        unique = list(dict.fromkeys(self.items))
        return sorted(unique, key=lambda p: (p.file, p.line, p.column))
