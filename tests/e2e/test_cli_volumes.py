"""`rootcause volumes import` end to end."""

from __future__ import annotations

from tests.e2e.cli import run_cli


def _write(tmp_path, text: str):
    path = tmp_path / "volumes.csv"
    path.write_text(text)
    return path


def test_volumes_cli_import_prints_rows_and_errors_in_one_line(env, tmp_path, capsys):
    good = run_cli(capsys, "volumes", "import", _write(tmp_path, "week,orders\n2026-W46,10\n"))
    assert good.code == 0 and good.out.strip().endswith("1 rows for 1 weeks")
    bad = run_cli(capsys, "volumes", "import", tmp_path / "nope.csv")
    assert (bad.code, bad.err) == (2, f"rootcause: error: {tmp_path / 'nope.csv'}: no such file\n")
