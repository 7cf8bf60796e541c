"""csvrows.DictReader: the line each row starts on, past quoted line breaks and blank lines."""

from __future__ import annotations

import io

from rootcause.csvrows import DictReader


def test_csvrows_record_line_is_where_each_row_starts():
    text = 'a,b\r\n1,"x\r\ny"\r\n\r\n2,z\r\n3,"p\nq\nr"\n4,w\n'
    reader = DictReader(io.StringIO(text, newline=""))
    seen = [(reader.record_line, reader.line_num, row["a"]) for row in reader]
    # (start, csv's own line_num = end, row): the blank line 4 is skipped, as csv does
    assert seen == [(2, 3, "1"), (5, 5, "2"), (6, 8, "3"), (9, 9, "4")]
    assert reader.fieldnames == ["a", "b"]


def test_csvrows_a_header_on_two_lines_is_not_a_row_start():
    reader = DictReader(io.StringIO('"a\nb",c\n1,2\n', newline=""))
    assert [(reader.record_line, dict(row)) for row in reader] == [(3, {"a\nb": "1", "c": "2"})]
