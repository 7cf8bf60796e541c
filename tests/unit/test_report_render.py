"""The renderer: real WeasyPrint PDFs, read back with pypdf; hostile text stays text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from rootcause.models import Complaint
from rootcause.period import IsoWeek
from rootcause.report.context import ChannelRow, ReportContext
from rootcause.report.render import render_html, render_report
from rootcause.resources import templates_dir
from rootcause.taxonomy import Taxonomy

HOSTILE = (
    '<img src="file:///etc/hostname"> <script>alert(1)</script> '
    '<link rel="stylesheet" href="http://example.com/x.css"> visit https://example.com now'
)


def _context(
    taxonomy: Taxonomy, *, totals: list[int], text: str = "The refund is late."
) -> ReportContext:
    week = IsoWeek(2026, 47)
    weeks = week.window(12)
    sample = [
        Complaint(
            id=7,
            source="helpdesk",
            external_id="HD-7",
            text_original=text,
            text_redacted=text,
            text_hash="x",
            week=str(week),
            channel="email",
            received_at=datetime(2026, 11, 17, tzinfo=UTC),
            ingested_at=datetime(2026, 11, 23, tzinfo=UTC),
        )
    ]
    return ReportContext(
        week=week, weeks=weeks, title="Complaint root causes",
        data_as_of=datetime(2026, 11, 23, 8, 0, tzinfo=UTC), snapshot="abc123",
        sources={"helpdesk": sum(totals)}, total_complaints=sum(totals), weekly_totals=totals,
        channels=[ChannelRow("email", totals[-1], totals[-2], totals)],
        quarantine_by_code={"empty_text": 2}, taxonomy=taxonomy, sample=sample,
        ingest_totals={"rows_read": sum(totals) + 2, "inserted": sum(totals), "duplicates": 0,
                       "quarantined": 2},
    )  # fmt: skip


def _text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_report_render_writes_a_pdf_with_the_numbers(taxonomy, tmp_path):
    totals = [10, 12, 9, 11, 14, 13, 12, 15, 16, 14, 18, 21]
    result = render_report(
        _context(taxonomy, totals=totals), tmp_path / "r.pdf", templates=templates_dir()
    )
    assert result.path.read_bytes().startswith(b"%PDF")
    assert result.pages >= 3
    assert result.warnings == [] and result.refused_urls == []
    text = _text(result.path)
    assert "2026-W47" in text and "Complaint volume" in text
    assert "page 1 of" in text
    assert "21" in text and "+3" in text  # this week, and change against last week (18)
    assert "Agent error" in text and "Process gap" in text


def test_report_render_same_input_same_bytes(taxonomy, tmp_path):
    ctx = _context(taxonomy, totals=[1] * 12)
    a = render_report(ctx, tmp_path / "a.pdf", templates=templates_dir())
    b = render_report(ctx, tmp_path / "b.pdf", templates=templates_dir())
    assert a.sha256 == b.sha256


def test_report_render_hostile_text_stays_literal_and_fetches_nothing(taxonomy, tmp_path):
    ctx = _context(taxonomy, totals=[0] * 11 + [1], text=HOSTILE)
    html = render_html(ctx, templates_dir())
    assert "<script>alert" not in html and '<img src="file:' not in html
    assert "&lt;img src=&#34;file:///etc/hostname&#34;&gt;" in html
    result = render_report(ctx, tmp_path / "h.pdf", templates=templates_dir())
    assert result.refused_urls == [] and result.warnings == []
    assert '<img src="file:///etc/hostname">' in _text(result.path).replace("\n", " ")


def test_report_render_refuses_outside_resources(taxonomy, tmp_path):
    from rootcause.report.render import write_pdf

    html = '<html><body><img src="file:///etc/hostname"><img src="http://example.com/a.png">x'
    result = write_pdf(html, tmp_path / "x.pdf", templates=templates_dir(), identifier="0" * 32)
    assert sorted(result.refused_urls) == ["file:///etc/hostname", "http://example.com/a.png"]


def test_report_render_empty_week_says_so(taxonomy, tmp_path):
    ctx = _context(taxonomy, totals=[0] * 12)
    result = render_report(ctx, tmp_path / "e.pdf", templates=templates_dir())
    assert "No complaints were received in 2026-W47" in _text(result.path)


def test_report_render_missing_templates_is_a_clear_error(taxonomy, tmp_path):
    from rootcause.errors import ReportError

    with pytest.raises(ReportError, match=r"no report\.html\.j2 here"):
        render_report(_context(taxonomy, totals=[1] * 12), tmp_path / "x.pdf", templates=tmp_path)


def test_report_render_pdf_is_as_readable_as_the_umask_allows_and_stale_parts_go(
    taxonomy, tmp_path
):
    """mkstemp makes owner-only files; a report is shared, so it gets the umask's mode. A .part
    file a killed render left long ago is removed; a recent one may be a render under way."""
    import os
    import time

    out = tmp_path / "r.pdf"
    old = tmp_path / ".r.pdf.killed.part"
    recent = tmp_path / ".r.pdf.running.part"
    for leftover in (old, recent):
        leftover.write_bytes(b"%PDF-half")
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    mask = os.umask(0o022)
    try:
        render_report(_context(taxonomy, totals=[1] * 12), out, templates=templates_dir())
    finally:
        os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o644
    assert not old.exists() and recent.exists()
