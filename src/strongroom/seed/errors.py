"""What is wrong with a seed file, said with the file and line of each problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    line: int | None
    source: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"


class SeedError(Exception):
    """A seed file that cannot be read or applied; ``str()`` gives one ``FILE:LINE: message`` per problem. Messages
    name ids, fields and lines, never key material or secrets."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    @classmethod
    def at(cls, message: str, line: int | None, source: str) -> SeedError:
        return cls([Problem(message, line, source)])
