"""What can be wrong with one input row, as data: a code for machines and a reason for people."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# Reason codes stored in the quarantine table; the report groups by them.
EMPTY_TEXT = "empty_text"
NO_WORDS = "no_words"
TEXT_TOO_LONG = "text_too_long"
BINARY_CONTENT = "binary_content"
MISSING_DATE = "missing_date"
INVALID_DATE = "invalid_date"
IMPLAUSIBLE_DATE = "implausible_date"
INVALID_JSON = "invalid_json"
NOT_AN_OBJECT = "not_an_object"
MALFORMED_ROW = "malformed_row"
INVALID_FIELD = "invalid_field"

CODES = (
    EMPTY_TEXT, NO_WORDS, TEXT_TOO_LONG, BINARY_CONTENT, MISSING_DATE, INVALID_DATE,
    IMPLAUSIBLE_DATE, INVALID_JSON, NOT_AN_OBJECT, MALFORMED_ROW, INVALID_FIELD,
)  # fmt: skip


@dataclass(frozen=True)
class IngestProblem:
    """One bad row: where it is, a stable code, and a sentence saying what to do."""

    path: str
    line: int
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: line {self.line}: {self.reason} [{self.code}]"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RowRejected(Exception):  # noqa: N818 - control flow inside ingest, never escapes it
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
