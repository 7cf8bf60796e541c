"""Property tests: complaint text is data in the report, whatever it contains.

Text from an export reaches the report in several places (sample complaints, channel and source
names, theme labels, keywords and representatives, the summary, the fix register). Whatever that
text is, the HTML must have the same tag skeleton and the same resource URLs as with plain text,
and the PDF the same page count, with nothing fetched from outside the templates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from rootcause.fixes.register import FixRow
from rootcause.fixes.suggest import Suggestion
from rootcause.ingest.normalize import clean_text
from rootcause.models import Complaint
from rootcause.report import charts
from rootcause.report import render as render_module
from rootcause.report.context import ChannelRow, ReportContext
from rootcause.report.render import RenderResult, render_html, render_report
from rootcause.report.summary import summarise
from rootcause.resources import templates_dir
from rootcause.taxonomy import Taxonomy
from rootcause.themes import Representative, ThemeRow, ThemeStatus, WeekThemes
from rootcause.themes.status import StatusVerdict
from tests.unit.test_report_render import _context

PLACEHOLDER = "Plain placeholder complaint text"
TOTALS = [10, 12, 9, 11, 14, 13, 12, 15, 16, 14, 18, 21]
# Pieces a fuzzer would not find on its own: markup, template syntax, CSS that fetches,
# bidi and control characters, and words too long for a line.
NASTY = (
    '<img src="file:///etc/hostname">', "<script>alert(1)</script>", "</script>",
    '<link rel="stylesheet" href="http://example.com/x.css">', "<style>", "</style>",
    "<style>@import url(http://example.com/a.css);</style>", "@import 'http://example.com/b';",
    "url(http://example.com/i.png)", 'style="background:url(file:///etc/passwd)"',
    "{{ 7 * 7 }}", "{{ r.snapshot }}", "{% include 'report.css' %}", "{% raw %}", "{#", "#}",
    "</td></tr></table>", "</blockquote>", "<blockquote>", "</section><section>", "<!--", "-->",
    "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?xml version='1.0'?>", "&lt;", "&amp;", "&#60;",
    "&", "<", ">", '"', "'", "`", "javascript:alert(1)", "<svg onload=alert(1)>",
    '<a href="http://example.com">x</a>', "\u202e", "\u202d", "\u200f", "\u061c", "\u2066",
    "\x00", "\x0c", "\r", "\x1b[31m", "\ufeff", "\u0301", "W" * 3000, "ﷺ" * 50,
)  # fmt: skip
nasty_text = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(max_size=30)), min_size=1, max_size=8
).map("".join)


def _memoised(fn: Callable[..., str]) -> Callable[..., str]:
    """The same chart function, computed once per distinct argument list (charts are pure)."""
    cache: dict[str, str] = {}

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        key = repr((args, sorted(kwargs.items())))
        if key not in cache:
            cache[key] = fn(*args, **kwargs)
        return cache[key]

    return wrapper


@functools.cache
def _fast_versions() -> dict[str, Any]:
    """Memoised chart functions and one Jinja environment per templates folder."""
    fast: dict[str, Any] = {
        n: _memoised(getattr(charts, n)) for n in dir(charts) if n.endswith("_svg")
    }
    fast["build_environment"] = functools.cache(render_module.build_environment)
    return fast


@contextlib.contextmanager
def _fast_render() -> Iterator[None]:
    """render_html costs ~0.7 s (matplotlib charts, template compilation), and none of that
    depends on complaint text: reuse both while comparing many texts."""
    with pytest.MonkeyPatch.context() as mp:
        for name, fn in _fast_versions().items():
            mp.setattr(render_module if name == "build_environment" else charts, name, fn)
        yield


def _report(taxonomy: Taxonomy, text: str) -> ReportContext:
    """The existing test report, with `text` in every slot that complaint data can reach, cut
    to the column's length limit where the database has one (source 100, ids 200, ...)."""
    base = _context(taxonomy, totals=TOTALS, text=text)
    source, ident, channel, label, title = text[:100], text[:200], text[:40], text[:200], text[:300]
    weeks = tuple(str(w) for w in base.weeks)
    sample = [
        Complaint(
            id=8, source=source, external_id=ident, text_original=text, text_redacted=text,
            text_hash="y", week=weeks[-1], channel=channel,
            received_at=datetime(2026, 11, 18, tzinfo=UTC),
            ingested_at=datetime(2026, 11, 23, tzinfo=UTC),
        ),
        *base.sample,
    ]  # fmt: skip
    theme = ThemeRow(
        id=3, label=label, label_locked=False, keywords=(label, "refund"), weeks=weeks,
        trend=(0,) * 10 + (1, 6), count=6,
        verdict=StatusVerdict(ThemeStatus.growing, 6, 0.5, 0.001, 0.99),
        first_seen_week=weeks[0], last_seen_week=weeks[-1], causes={"other": 6},
        representatives=(Representative(7, weeks[-1], text, 0.9),),
    )  # fmt: skip
    window = WeekThemes(
        week=weeks[-1], weeks=weeks, complaints=21, unassigned=15, window_complaints=175,
        window_unassigned=168, themes=(theme,), rule="Themes are compared with their baseline.",
    )  # fmt: skip
    fix = FixRow(
        id=1, title=title, description=text, owner="ops", status="in_progress", theme_id=3,
        theme_label=label, extra_themes=(), cause=None, criterion="fewer complaints",
        due=date(2026, 12, 1), shipped=None, overdue=False, days_overdue=0, verdict=None,
        explanation=None, created_at=datetime(2026, 11, 1, tzinfo=UTC),
        updated_at=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    unowned = Suggestion(3, label, "growing", 6, theme.trend, weeks, "other", "ops")
    ctx = dataclasses.replace(
        base,
        sample=sample,
        sources={"helpdesk": sum(TOTALS) - 1, source: 1},
        channels=[*base.channels, ChannelRow(channel, 1, 0, [0] * 11 + [1])],
        themes=[theme],
        theme_window=window,
        fix_register=[fix],
        unowned_themes=[unowned],
        theme_fixes={3: "#1 in progress"},
    )
    return dataclasses.replace(ctx, summary=summarise(ctx))


_CSS_FETCH = re.compile(r"url\s*\(|@import", re.IGNORECASE)


class _Skeleton(HTMLParser):
    """Tag names with their attribute names, in order, and every URL-bearing value."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, ...]] = []
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(("start", tag, *sorted(name for name, _ in attrs)))
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in {"src", "href", "srcset", "data", "poster", "action"} or (
                name == "style" and value and _CSS_FETCH.search(value)
            ):
                self.urls.append(f"{tag}.{name}={value}")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.tags[-1] = ("startend", *self.tags[-1][1:])

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(("end", tag))
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _CSS_FETCH.search(data):
            self.urls.append(f"style:{data}")

    def handle_comment(self, data: str) -> None:
        self.tags.append(("comment",))

    def handle_decl(self, decl: str) -> None:
        self.tags.append(("decl", decl))

    def handle_pi(self, data: str) -> None:
        self.tags.append(("pi",))

    def unknown_decl(self, data: str) -> None:
        self.tags.append(("unknown_decl",))


def _skeleton(html: str) -> _Skeleton:
    parser = _Skeleton()
    parser.feed(html)
    parser.close()
    return parser


def _fast_skeleton(taxonomy: Taxonomy, text: str) -> _Skeleton:
    with _fast_render():
        return _skeleton(render_html(_report(taxonomy, text), templates_dir()))


@pytest.fixture(scope="module")
def placeholder(taxonomy: Taxonomy) -> _Skeleton:
    return _fast_skeleton(taxonomy, PLACEHOLDER)


def test_report_placeholder_context_reaches_every_slot(taxonomy, placeholder):
    """Guards the property below: the marker text must appear in each section that shows
    complaint data, or an unchanged skeleton would prove nothing."""
    html = render_html(_report(taxonomy, "MARKER-Q"), templates_dir())
    assert html.count("MARKER-Q") >= 12
    for heading in ("A few complaints", "Emerging and growing themes", "Growing themes nobody"):
        assert heading in html
    assert any(url.startswith("link.href=") for url in placeholder.urls)
    assert any(url.startswith("img.src=data:image/svg+xml") for url in placeholder.urls)


@hypothesis.settings(max_examples=60, deadline=None, derandomize=True)  # same examples each run
@hypothesis.given(text=nasty_text)
def test_report_html_skeleton_and_urls_do_not_depend_on_complaint_text(taxonomy, placeholder, text):
    """Jinja2 autoescaping must keep text from opening or closing an element or adding a URL
    that WeasyPrint would fetch; comparing with a plain-text render checks all slots at once."""
    got = _fast_skeleton(taxonomy, text)
    assert got.tags == placeholder.tags
    assert got.urls == placeholder.urls


PDF_CASES = [
    pytest.param(
        '<img src="file:///etc/hostname"><link rel=stylesheet href="http://example.com/x.css">'
        "<style>@import url(http://example.com/a.css); body{background:url(file:///etc/passwd)}"
        "</style></blockquote></td></tr></table></section>",
        id="markup-and-css",
    ),
    pytest.param("{{ r.snapshot }} {% for x in r.sample %}X{% endfor %} {# c #}", id="jinja"),
    pytest.param("W" * 5000 + " " + "ﷺ" * 200, id="long-words"),
    pytest.param(
        "\u202ereversed\u202c \u200f\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"
        " \x00\x0c\x1b[2J\r\ufeff e\u0301\u0301\u0301 \U0001f600",
        id="bidi-and-controls",
    ),
    # Short lines with blank lines between them, as ingest's clean_text leaves them (it only
    # collapses three or more newlines); the templates show complaints with pre-wrap.
    pytest.param(clean_text("Item missing.\n\n" * 30), id="many-short-lines"),
]


def _render_spied(ctx: ReportContext, out: Path) -> tuple[RenderResult, list[str]]:
    """Render the PDF, recording every URL WeasyPrint asked the fetcher for."""
    requested: list[str] = []
    real_fetcher = render_module._fetcher

    def spying_fetcher(templates: Path, refused: list[str]) -> Any:
        fetcher = real_fetcher(templates, refused)
        fetch = fetcher.fetch

        def record(url: str, headers: Any = None) -> Any:
            requested.append(url)
            return fetch(url, headers)

        fetcher.fetch = record
        return fetcher

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render_module, "_fetcher", spying_fetcher)
        result = render_report(ctx, out, templates=templates_dir())
    return result, requested


@pytest.fixture(scope="module")
def placeholder_pdf(
    taxonomy: Taxonomy, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RenderResult, list[str]]:
    out = tmp_path_factory.mktemp("placeholder") / "p.pdf"
    return _render_spied(_report(taxonomy, PLACEHOLDER), out)


@pytest.mark.parametrize("text", PDF_CASES)
def test_report_pdf_pages_and_fetches_do_not_depend_on_complaint_text(
    taxonomy, tmp_path, placeholder_pdf, text
):
    """The real WeasyPrint pass: same page count as plain text, the same resources asked for
    (the stylesheet and the inline charts), none refused, and no warning but missing glyphs
    (control characters and scripts DejaVu lacks are drawn as boxes, which is fine)."""
    expected, expected_requests = placeholder_pdf
    assert expected.refused_urls == [] and expected_requests  # the spy sees the stylesheet
    result, requested = _render_spied(_report(taxonomy, text), tmp_path / "h.pdf")
    assert result.pages == expected.pages
    assert result.refused_urls == []
    assert [w for w in result.warnings if not w.startswith(".notdef glyph")] == []
    assert sorted(requested) == sorted(expected_requests)
