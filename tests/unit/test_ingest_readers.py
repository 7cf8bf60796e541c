"""Unit tests for rootcause.ingest.readers.open_source, on small files written to tmp_path."""

from __future__ import annotations

import codecs
import gc
import gzip
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rootcause.errors import InputError
from rootcause.ingest.problems import INVALID_JSON, MALFORMED_ROW, NOT_AN_OBJECT
from rootcause.ingest.readers import RawRow, Source, open_source

D = "2026-11-18T09:00:00Z"


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read(path: Path, **kwargs: Any) -> tuple[Source, list[RawRow]]:
    source = open_source(path, **kwargs)
    return source, list(source.rows)


def input_error(path: Path, **kwargs: Any) -> InputError:
    with pytest.raises(InputError) as info:
        open_source(path, **kwargs)
    assert info.value.path == str(path)
    assert info.value.exit_code == 2
    return info.value


# --- CSV delimiters --------------------------------------------------------------------------
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_ingest_readers_csv_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = [
        delimiter.join(["id", "received_at", "text"]),
        delimiter.join(["1", D, "The parcel was late"]),
        delimiter.join(["2", D, '"Wrong colour, again"']),
    ]
    source, rows = read(write(tmp_path, "export.csv", "\n".join(lines) + "\n"))
    assert source.file_format == "csv"
    assert source.encoding == "utf-8"
    assert source.columns == ("id", "received_at", "text")
    assert [r.values for r in rows] == [
        {"id": "1", "received_at": D, "text": "The parcel was late"},
        {"id": "2", "received_at": D, "text": "Wrong colour, again"},
    ]
    assert [r.line for r in rows] == [2, 3]
    assert all(r.problem is None for r in rows)
    assert source.warnings == []


def test_ingest_readers_tsv_suffix_forces_tab(tmp_path: Path) -> None:
    # The header has more commas than tabs, but a .tsv file is tab-separated.
    path = write(tmp_path, "export.tsv", "text\treceived_at,utc\nLate, very late\t" + D + "\n")
    source, rows = read(path)
    assert source.file_format == "csv"
    assert [r.values for r in rows] == [{"text": "Late, very late"}]


def test_ingest_readers_single_column_csv(tmp_path: Path) -> None:
    source, rows = read(write(tmp_path, "only.csv", "text\nJust the words\n"))
    assert source.columns == ("text",)
    assert [r.values for r in rows] == [{"text": "Just the words"}]


def test_ingest_readers_crlf_line_endings(tmp_path: Path) -> None:
    path = write(tmp_path, "crlf.csv", f"text,received_at\r\nLate parcel,{D}\r\nNo refund,{D}\r\n")
    _, rows = read(path)
    assert [r.values["text"] for r in rows] == ["Late parcel", "No refund"]
    assert [r.values["received_at"] for r in rows] == [D, D]
    assert [r.line for r in rows] == [2, 3]


# --- encodings -------------------------------------------------------------------------------
def test_ingest_readers_utf8_bom_is_removed_from_header(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", codecs.BOM_UTF8 + f"text,received_at\nCafé,{D}\n".encode())
    source, rows = read(path)
    assert source.columns == ("text", "received_at")
    assert rows[0].values == {"text": "Café", "received_at": D}


def test_ingest_readers_cp1252_line_gives_one_warning_and_decodes(tmp_path: Path) -> None:
    data = b"".join(
        [
            b"id,text\n",
            "1,Caf\u00e9 is fine in UTF-8\n".encode(),
            b"2,Caf\xe9 order was cold \x96 again\n",
            b"3,Cr\xe8me br\xfbl\xe9e was missing\n",
            "4,Na\u00efve UTF-8 again\n".encode(),
        ]
    )
    path = write(tmp_path, "mixed.csv", data)
    source, rows = read(path)
    assert [r.values["text"] for r in rows] == [
        "Café is fine in UTF-8",
        "Café order was cold \u2013 again",
        "Crème brûlée was missing",
        "Naïve UTF-8 again",
    ]
    assert source.warnings == [
        f"{path}: line 3: not valid UTF-8; read as cp1252 (pass --encoding to choose another)"
    ]


def test_ingest_readers_forced_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "text\nSchöne Grüße aus Ærø\n".encode("latin-1"))
    source, rows = read(path, encoding="latin-1")
    assert source.encoding == "latin-1"
    assert rows[0].values == {"text": "Schöne Grüße aus Ærø"}
    assert source.warnings == []


def test_ingest_readers_forced_encoding_overrides_utf8(tmp_path: Path) -> None:
    # Valid UTF-8 read as forced latin-1 is decoded as latin-1: the choice is respected.
    path = write(tmp_path, "forced.csv", "text\nCafé\n")
    _, rows = read(path, encoding="latin-1")
    assert rows[0].values == {"text": "CafÃ©"}


def test_ingest_readers_unknown_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "text\nhello\n")
    err = input_error(path, encoding="klingon-8")
    assert str(err) == f"{path}: unknown encoding 'klingon-8'"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_ingest_readers_utf16_with_bom(tmp_path: Path, codec: str) -> None:
    text = f"text\treceived_at\r\nSchöne Grüße\t{D}\r\nÇa ne marche pas\t{D}\r\n"
    bom = codecs.BOM_UTF16_BE if codec == "utf-16-be" else b""
    path = write(tmp_path, "excel.txt", bom + text.encode(codec))
    source, rows = read(path)
    assert source.file_format == "csv"
    assert source.encoding == "utf-16"
    assert source.columns == ("text", "received_at")
    assert [r.values["text"] for r in rows] == ["Schöne Grüße", "Ça ne marche pas"]
    assert [r.line for r in rows] == [2, 3]


def test_ingest_readers_gzip_compressed_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv.gz", gzip.compress(f"text,received_at\nLate,{D}\n".encode()))
    source, rows = read(path)
    assert source.file_format == "csv"
    assert source.size == path.stat().st_size
    assert [r.values for r in rows] == [{"text": "Late", "received_at": D}]


def test_ingest_readers_gzip_compressed_jsonl(tmp_path: Path) -> None:
    data = gzip.compress(b'{"text": "Late", "received_at": "2026-11-18"}\n')
    source, rows = read(write(tmp_path, "export.jsonl.gz", data))
    assert source.file_format == "jsonl"
    assert rows[0].values == {"text": "Late", "received_at": "2026-11-18"}


def test_ingest_readers_on_bytes_reports_every_byte(tmp_path: Path) -> None:
    data = f"text,received_at\nLate,{D}\nLost,{D}\n".encode()
    path = write(tmp_path, "bytes.csv", data)
    seen: list[int] = []
    _, rows = read(path, on_bytes=seen.append)
    assert len(rows) == 2
    assert sum(seen) == len(data)


# --- columns ---------------------------------------------------------------------------------
def test_ingest_readers_header_names_are_normalised(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "headers.csv",
        f'"Text", received at ,Customer-ID,Unrelated\nLate parcel,{D},C1,zzz\n',
    )
    source, rows = read(path)
    assert source.columns == ("text", "received_at", "customer_id")
    assert rows[0].values == {"text": "Late parcel", "received_at": D, "customer_id": "C1"}


def test_ingest_readers_column_map_renames_body_to_text(tmp_path: Path) -> None:
    path = write(tmp_path, "mapped.csv", f"ticket,body,created\n7,Late parcel,{D}\n")
    source, rows = read(path, column_map={"text": "body", "id": "Ticket", "received_at": "created"})
    assert source.columns == ("id", "text", "received_at")
    assert rows[0].values == {"id": "7", "text": "Late parcel", "received_at": D}


def test_ingest_readers_column_map_wins_over_same_named_column(tmp_path: Path) -> None:
    path = write(tmp_path, "both.csv", "text,body\nthe subject,the real complaint\n")
    source, rows = read(path, column_map={"text": "body"})
    assert source.columns == ("text",)
    assert rows[0].values == {"text": "the real complaint"}


def test_ingest_readers_short_row_fills_missing_fields_with_none(tmp_path: Path) -> None:
    _, rows = read(write(tmp_path, "short.csv", "text,received_at,channel\nLate parcel\n"))
    assert rows[0].values == {"text": "Late parcel", "received_at": None, "channel": None}
    assert rows[0].problem is None


# --- multi-line records, malformed rows, blank lines -----------------------------------------
def test_ingest_readers_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    data = (
        "id,text\n"  # line 1
        '1,"First line\n'  # line 2
        "second line\n"  # line 3
        'third line"\n'  # line 4
        "2,Single line\n"  # line 5
        '3,"Two\n'  # line 6
        'lines"\n'  # line 7
        "4,Last\n"  # line 8
    )
    _, rows = read(write(tmp_path, "multi.csv", data))
    assert [r.values["id"] for r in rows] == ["1", "2", "3", "4"]
    assert [r.line for r in rows] == [2, 5, 6, 8]
    assert rows[0].values["text"] == "First line\nsecond line\nthird line"
    assert rows[0].raw == '1,"First line\nsecond line\nthird line"\n'
    assert rows[2].values["text"] == "Two\nlines"


def test_ingest_readers_too_many_fields_is_a_malformed_row(tmp_path: Path) -> None:
    data = "id,text\n1,fine\n2,Too many fields here,extra\n3,also fine\n"
    _, rows = read(write(tmp_path, "wide.csv", data))
    assert [r.line for r in rows] == [2, 3, 4]
    bad = rows[1]
    assert bad.values == {}
    assert bad.raw == "2,Too many fields here,extra\n"
    assert bad.problem == (MALFORMED_ROW, "3 fields where the header has 2; check the quoting")
    assert rows[0].problem is None and rows[2].problem is None


def test_ingest_readers_blank_lines_are_skipped(tmp_path: Path) -> None:
    data = "id,text\n\n1,first\n\n   \n2,second\n\n"
    _, rows = read(write(tmp_path, "blank.csv", data))
    assert [(r.line, r.values["text"]) for r in rows] == [(3, "first"), (6, "second")]


# --- JSON Lines ------------------------------------------------------------------------------
def test_ingest_readers_jsonl_rows_and_problems_with_line_numbers(tmp_path: Path) -> None:
    data = (
        '{"id": 1, "text": "Late parcel", "Received At": "2026-11-18", "extra": true}\n'  # 1
        "\n"  # 2
        "{not json}\n"  # 3
        "[1, 2]\n"  # 4
        '"just a string"\n'  # 5
        "   \n"  # 6
        '{"text": "Second", "channel": "chat"}\n'  # 7
    )
    path = write(tmp_path, "export.jsonl", data)
    source, rows = read(path)
    assert source.file_format == "jsonl"
    assert source.encoding == "utf-8"
    assert [r.line for r in rows] == [1, 3, 4, 5, 7]
    assert rows[0].values == {"id": 1, "text": "Late parcel", "received_at": "2026-11-18"}
    assert rows[0].problem is None
    assert rows[1].problem is not None and rows[1].problem[0] == INVALID_JSON
    assert rows[1].problem[1].startswith("not valid JSON: ")
    assert rows[1].raw == "{not json}\n"
    assert rows[2].problem == (NOT_AN_OBJECT, "a JSON list, not an object")
    assert rows[3].problem == (NOT_AN_OBJECT, "a JSON str, not an object")
    assert rows[4].values == {"text": "Second", "channel": "chat"}
    assert rows[4].problem is None


@pytest.mark.parametrize("name", ["export.ndjson", "export.json", "export.txt"])
def test_ingest_readers_jsonl_detected_by_suffix_or_content(tmp_path: Path, name: str) -> None:
    source, rows = read(write(tmp_path, name, '{"text": "Late"}\n{"text": "Lost"}\n'))
    assert source.file_format == "jsonl"
    assert [r.values for r in rows] == [{"text": "Late"}, {"text": "Lost"}]


def test_ingest_readers_jsonl_column_map(tmp_path: Path) -> None:
    path = write(tmp_path, "mapped.jsonl", '{"body": "Late", "ts": "2026-11-18"}\n')
    _, rows = read(path, column_map={"text": "body", "received_at": "ts"})
    assert rows[0].values == {"text": "Late", "received_at": "2026-11-18"}


# --- files that cannot be used at all --------------------------------------------------------
def test_ingest_readers_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    err = input_error(path)
    assert str(err) == f"{path}: no such file"
    assert err.line is None


def test_ingest_readers_directory(tmp_path: Path) -> None:
    path = tmp_path / "folder.csv"
    path.mkdir()
    assert str(input_error(path)) == f"{path}: is a directory, not a file"


@pytest.mark.parametrize("data", [b"", b"   \n\n\t\n"])
def test_ingest_readers_empty_file(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path, "empty.csv", data)
    err = input_error(path)
    assert str(err) == f"{path}: line 1: the file is empty"
    assert err.line == 1
    assert err.reason == "the file is empty"


def test_ingest_readers_png_is_rejected_as_binary(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    message = f"{path}: line 1: not CSV or JSON Lines: looks like a PNG image"
    assert str(input_error(path)) == message


def test_ingest_readers_control_bytes_are_rejected_as_binary(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", bytes(range(1, 9)) * 100)
    message = f"{path}: line 1: not CSV or JSON Lines: looks like binary data"
    assert str(input_error(path)) == message


def test_ingest_readers_json_array(tmp_path: Path) -> None:
    path = write(tmp_path, "export.json", '[{"text": "Late"}]\n')
    assert str(input_error(path)) == (
        f"{path}: line 1: a JSON array; write one JSON object per line (JSON Lines)"
    )


def test_ingest_readers_json_file_whose_first_line_is_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, "export.jsonl", 'text\n{"text": "Late"}\n')
    assert str(input_error(path)) == (
        f"{path}: line 1: not JSON Lines: the first line is not a JSON object"
    )


def test_ingest_readers_jsonl_without_text_field(tmp_path: Path) -> None:
    path = write(tmp_path, "export.jsonl", '{"body": "Late", "id": 1}\n')
    assert str(input_error(path)) == (
        f"{path}: line 1: no 'text' field (found: body, id); map one with --column text=NAME"
    )


def test_ingest_readers_csv_without_text_column(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", f"id,body,received_at\n1,Late,{D}\n")
    err = input_error(path)
    assert str(err) == (
        f"{path}: line 1: no 'text' column (found: id, body, received_at); "
        "map one with --column text=NAME"
    )
    assert err.line == 1


def test_ingest_readers_csv_without_text_column_lists_at_most_12(tmp_path: Path) -> None:
    header = ",".join(f"c{i}" for i in range(15))
    path = write(tmp_path, "wide.csv", header + "\n" + ",".join("x" * 15) + "\n")
    found = ", ".join(f"c{i}" for i in range(12)) + ", …"
    assert str(input_error(path)) == (
        f"{path}: line 1: no 'text' column (found: {found}); map one with --column text=NAME"
    )


def test_ingest_readers_column_map_to_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", f"text,received_at\nLate,{D}\n")
    err = input_error(path, column_map={"text": "missing"})
    assert str(err) == (
        f"{path}: line 1: no column 'missing' to use as text (found: text, received_at)"
    )


# --- the file handle is released ------------------------------------------------------------
def resource_warnings(action: Callable[[], object]) -> list[str]:
    """Run action, drop what it returned, collect garbage; the ResourceWarnings raised meanwhile."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        action()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.csv", b""),
        ("image.csv", b"\x89PNG\r\n\x1a\n"),
        ("notext.csv", b"id,body\n1,x\n"),
        ("array.json", b'[{"text": "Late"}]\n'),
        ("notext.csv.gz", gzip.compress(b"id,body\n1,x\n")),
    ],
    ids=["empty", "binary", "no-text-column", "json-array", "gzip-no-text-column"],
)
def test_ingest_readers_input_error_closes_the_file(tmp_path: Path, name: str, data: bytes) -> None:
    path = write(tmp_path, name, data)

    def action() -> None:
        with pytest.raises(InputError):
            open_source(path)

    assert resource_warnings(action) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("export.csv", b"text,received_at\nLate,2026-11-18\nLost,2026-11-18\n"),
        ("export.jsonl", b'{"text": "Late"}\n{"text": "Lost"}\n'),
        ("export.csv.gz", gzip.compress(b"text\nLate\nLost\n")),
        ("excel.txt", "text\r\nLate\r\nLost\r\n".encode("utf-16")),
    ],
    ids=["csv", "jsonl", "gzip-csv", "utf16"],
)
def test_ingest_readers_file_is_closed_once_rows_are_read(
    tmp_path: Path, name: str, data: bytes
) -> None:
    path = write(tmp_path, name, data)

    def action() -> None:
        rows = list(open_source(path).rows)
        assert [r.values["text"] for r in rows] == ["Late", "Lost"]

    assert resource_warnings(action) == []
