"""Read complaint exports row by row: CSV (any common delimiter) or JSON Lines, sniffed.

Files are read as bytes and decoded line by line, so a stray cp1252 line in a UTF-8 export (a
common result of hand edits in a spreadsheet) is read with a warning instead of failing the whole
file, and memory stays flat however large the file is. Everything that makes a *file* unusable
raises InputError; everything that makes one *row* unusable is returned with the row, for the
quarantine.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from rootcause.errors import InputError
from rootcause.ingest.problems import INVALID_JSON, MALFORMED_ROW, NOT_AN_OBJECT

CANONICAL_COLUMNS = (
    "id", "received_at", "channel", "customer_id", "order_id", "agent_id", "product",
    "first_response_at", "resolved_at", "text",
)  # fmt: skip
RAW_LIMIT = 64 * 1024  # characters of a bad row kept in the quarantine
_SNIFF_BYTES = 64 * 1024
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?); save it as CSV",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"SQLite format 3": "an SQLite database",
}
_TEXT_CONTROLS = {9, 10, 12, 13}
csv.field_size_limit(256 * 1024 * 1024)


@dataclass(frozen=True)
class RawRow:
    """One input row, mapped to canonical column names, or the reason it could not be parsed."""

    line: int
    values: Mapping[str, Any]
    raw: str
    problem: tuple[str, str] | None = None  # (code, reason)


@dataclass
class Source:
    """An opened input file: its sniffed format, encoding and the columns it provides."""

    path: Path
    file_format: str  # "csv" | "jsonl"
    encoding: str
    columns: tuple[str, ...]
    size: int
    rows: Iterator[RawRow]
    warnings: list[str] = field(default_factory=list)


def _describe_binary(head: bytes) -> str | None:
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    sample = head[:8192]
    if not sample:
        return None
    controls = sum(1 for b in sample if b < 32 and b not in _TEXT_CONTROLS)
    return "binary data" if controls / len(sample) > 0.3 else None


class _LineDecoder:
    """Decodes byte lines as UTF-8, falling back to cp1252 per line, and remembers where it is."""

    def __init__(
        self,
        raw: IO[bytes],
        path: Path,
        encoding: str | None,
        warnings: list[str],
        on_bytes: Callable[[int], None] | None,
    ) -> None:
        self.raw = raw
        self.path = path
        self.forced = encoding
        self.warnings = warnings
        self.on_bytes = on_bytes
        self.line_no = 0
        self.fallback_lines = 0
        self.buffer: list[str] = []  # physical lines of the record being read (for quarantine)

    def __iter__(self) -> Iterator[str]:
        try:
            yield from self._lines()
        except (EOFError, OSError, zlib.error, UnicodeDecodeError) as exc:
            # A gzip cut short or corrupted past the sniffed head, or a UTF-16 file with a broken
            # pair: the rows before it are good, nothing after it can be read.
            reason = "the compressed data is corrupt or cut short"
            if isinstance(exc, UnicodeDecodeError):
                reason = f"not valid {exc.encoding.upper()}: {exc.reason}"
            raise InputError(
                self.path, f"cannot read further: {reason}", line=self.line_no + 1
            ) from None

    def _lines(self) -> Iterator[str]:
        first = True
        for chunk in self.raw:
            self.line_no += 1
            if self.on_bytes:
                self.on_bytes(len(chunk))
            data = chunk
            if first:
                first = False
                if data.startswith(codecs.BOM_UTF8):
                    data = data[len(codecs.BOM_UTF8) :]
            text = self._decode(data)
            self.buffer.append(text)
            yield text

    def _decode(self, chunk: bytes) -> str:
        if self.forced:
            return chunk.decode(self.forced, errors="replace")
        try:
            return chunk.decode("utf-8")
        except UnicodeDecodeError:
            self.fallback_lines += 1
            if self.fallback_lines == 1:
                self.warnings.append(
                    f"{self.path}: line {self.line_no}: not valid UTF-8; read as cp1252 "
                    "(pass --encoding to choose another)"
                )
            return chunk.decode("cp1252", errors="replace")

    def take_raw(self) -> str:
        raw = "".join(self.buffer)
        self.buffer.clear()
        return raw[:RAW_LIMIT]


def _normalise_key(key: str) -> str:
    return key.strip().strip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")


def _mapping(found: list[str], column_map: Mapping[str, str]) -> dict[str, str]:
    """Map file columns to canonical names: explicit --column first, then same-named columns."""
    normalised = {_normalise_key(c): c for c in found}
    out: dict[str, str] = {}
    for canonical in CANONICAL_COLUMNS:
        wanted = column_map.get(canonical)
        if wanted is not None:
            key = _normalise_key(wanted)
            if key in normalised:
                out[normalised[key]] = canonical
        elif canonical in normalised and normalised[canonical] not in out:
            out[normalised[canonical]] = canonical
    return out


def _check_text_column(
    path: Path, found: list[str], mapping: dict[str, str], column_map: Mapping[str, str], what: str
) -> None:
    if "text" in mapping.values():
        return
    shown = ", ".join(found[:12]) + (", …" if len(found) > 12 else "")
    if "text" in column_map:
        reason = f"no column '{column_map['text']}' to use as text (found: {shown})"
    else:
        reason = f"no 'text' {what} (found: {shown}); map one with --column text=NAME"
    raise InputError(path, reason, line=1)


def _sniff_delimiter(header_line: str, path: Path) -> str:
    if path.suffix.lower() in {".tsv", ".tab"}:
        return "\t"
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_rows(
    dec: _LineDecoder, reader: Any, header: list[str], mapping: dict[str, str]
) -> Iterator[RawRow]:
    index = [(i, mapping[name]) for i, name in enumerate(header) if name in mapping]
    width = len(header)
    while True:
        start = dec.line_no + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawRow(start, {}, dec.take_raw(), (MALFORMED_ROW, f"not valid CSV: {exc}"))
            continue
        raw = dec.take_raw()
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # a blank line is not a row
        if len(fields) > width:
            reason = f"{len(fields)} fields where the header has {width}; check the quoting"
            yield RawRow(start, {}, raw, (MALFORMED_ROW, reason))
            continue
        values = {canon: (fields[i] if i < len(fields) else None) for i, canon in index}
        yield RawRow(start, values, raw)


def _json_rows(dec: _LineDecoder, column_map: Mapping[str, str]) -> Iterator[RawRow]:
    keymap: dict[str, dict[str, str]] = {}
    for text in dec:
        raw = dec.take_raw()
        line = dec.line_no
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except ValueError as exc:
            yield RawRow(line, {}, raw, (INVALID_JSON, f"not valid JSON: {exc}"))
            continue
        if not isinstance(obj, dict):
            kind = type(obj).__name__
            yield RawRow(line, {}, raw, (NOT_AN_OBJECT, f"a JSON {kind}, not an object"))
            continue
        signature = ",".join(obj)
        mapping = keymap.get(signature)
        if mapping is None:
            mapping = keymap[signature] = _mapping([str(k) for k in obj], column_map)
        yield RawRow(line, {canon: obj[key] for key, canon in mapping.items()}, raw)


def _open_bytes(path: Path) -> IO[bytes]:
    try:
        fh: IO[bytes] = path.open("rb")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    gzipped = fh.read(2) == b"\x1f\x8b"
    if gzipped:
        fh.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


def open_source(
    path: Path,
    *,
    column_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Source:
    """Sniff and open one export; raise InputError if the file cannot be used at all.

    The file is closed when its rows have been read to the end, or at once if it is unusable.
    """
    raw = _open_bytes(path)
    try:
        return _sniff(path, raw, column_map or {}, encoding, on_bytes)
    except BaseException:
        raw.close()
        raise


def _closing(rows: Iterator[RawRow], raw: IO[bytes]) -> Iterator[RawRow]:
    try:
        yield from rows
    finally:
        raw.close()


def _sniff(
    path: Path,
    raw: IO[bytes],
    column_map: Mapping[str, str],
    encoding: str | None,
    on_bytes: Callable[[int], None] | None,
) -> Source:
    try:
        head = raw.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(path, f"cannot read: {exc}") from None
    raw.seek(0)
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(path, f"unknown encoding {encoding!r}") from None
    if not head.strip():
        raise InputError(path, "the file is empty", line=1)
    lines_source: Any = raw
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export: decode the whole stream, then hand on UTF-8 lines.
        encoding = "utf-16"
        text_stream = codecs.getreader("utf-16")(raw)
        lines_source = (line.encode("utf-8") for line in text_stream)
    else:
        binary = _describe_binary(head)
        if binary:
            raise InputError(path, f"not CSV or JSON Lines: looks like {binary}", line=1)

    first = head.lstrip(codecs.BOM_UTF8).lstrip()
    suffix = "".join(s.lower() for s in path.suffixes[-2:]).replace(".gz", "")
    size = path.stat().st_size
    warnings: list[str] = []
    forced = None if encoding == "utf-16" else encoding
    dec = _LineDecoder(lines_source, path, forced, warnings, on_bytes)
    if first.startswith(b"["):
        raise InputError(path, "a JSON array; write one JSON object per line (JSON Lines)", line=1)
    if first.startswith(b"{") or suffix in {".jsonl", ".ndjson", ".json"}:
        if not first.startswith(b"{"):
            raise InputError(path, "not JSON Lines: the first line is not a JSON object", line=1)
        first_line = first.split(b"\n", 1)[0]
        try:
            first_obj = json.loads(first_line)
        except ValueError:
            first_obj = None
        if isinstance(first_obj, dict):
            found = [str(k) for k in first_obj]
            _check_text_column(path, found, _mapping(found, column_map), column_map, "field")
        return Source(
            path,
            "jsonl",
            encoding or "utf-8",
            tuple(CANONICAL_COLUMNS),
            size,
            _closing(_json_rows(dec, column_map), raw),
            warnings,
        )

    lines = iter(dec)
    try:
        header_line = next(lines)
    except StopIteration:
        raise InputError(path, "the file is empty", line=1) from None
    delimiter = _sniff_delimiter(header_line, path)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter), [])
    except csv.Error as exc:  # e.g. a bare carriage return inside the header
        raise InputError(path, f"the header is not a CSV line: {exc}", line=1) from None
    dec.take_raw()
    mapping = _mapping(header, column_map)
    _check_text_column(path, header, mapping, column_map, "column")
    reader = csv.reader(lines, delimiter=delimiter)
    columns = tuple(mapping[h] for h in header if h in mapping)
    return Source(
        path,
        "csv",
        encoding or "utf-8",
        columns,
        size,
        _closing(_csv_rows(dec, reader, header, mapping), raw),
        warnings,
    )
