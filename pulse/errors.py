"""Errors a user can cause, with messages written for an analyst."""

from dataclasses import dataclass

MAX_REPORTED_PROBLEMS = 50


class PulseError(Exception):
    """Base of every error the pages and the CLI show to the user instead of a traceback."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: where it is in the file and why it is wrong."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str
    unit: str = "line"  # "row" for Parquet, which has no lines

    def __str__(self) -> str:
        where = [self.file]
        if self.line is not None:
            where.append(f"{self.unit} {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        value = "" if self.value is None else f" value {self.value!r}:"
        return f"{', '.join(where)}:{value} {self.reason}"


class ValidationError(PulseError):
    """A file breaks the data contract; it is rejected as a whole."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems[:MAX_REPORTED_PROBLEMS]
        self.total = total if total is not None else len(problems)
        super().__init__(self.report())

    def report(self) -> str:
        lines = [f"{self.total} problem(s) found; nothing was loaded or saved."]
        lines += [f"- {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"- ... and {self.total - len(self.problems)} more")
        return "\n".join(lines)


class FetchError(PulseError):
    """Data could not be fetched over HTTP (status, time-out, refused connection, bad body)."""
