"""CSV rows with the line each one starts on, for error messages that point at the right line.

`csv.DictReader.line_num` is the line where a record *ends*: for a complaint whose quoted text
spans several lines, that is not the line a person looks for in a spreadsheet or an editor.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any


class _Lines:
    """The file's lines, counted; remembers the first non-empty one after each `mark`."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.count = 0
        self.start = 0
        self._waiting = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        if self._waiting and line.strip("\r\n"):  # csv skips an empty line between records
            self.start = self.count
            self._waiting = False
        return line

    def mark(self) -> None:
        self._waiting = True


class DictReader(csv.DictReader):  # type: ignore[type-arg]
    """`csv.DictReader` that also knows `record_line`: the line the last row started on."""

    def __init__(self, f: Iterable[str], **kwargs: Any) -> None:
        self._counted = _Lines(f)
        super().__init__(self._counted, **kwargs)
        self.record_line = 0

    def __next__(self) -> dict[str, Any]:
        _ = self.fieldnames  # the header is read first, so it is never taken for a row's start
        self._counted.mark()
        row = super().__next__()
        self.record_line = self._counted.start
        return row
