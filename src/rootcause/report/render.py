"""Render the report: Jinja2 HTML from `reports/templates/`, then a PDF with WeasyPrint.

The renderer is sealed: Jinja2 escapes every value (complaint text is data, never markup), and
WeasyPrint's URL fetcher serves only files inside the templates folder, so nothing in a complaint
can reach the network or the file system. The PDF is written to a temporary file and renamed, so
a crash or a full disk never leaves half a report (and the previous one stays), and fixed metadata
make the same data give the same bytes. The temporary file is created before the slow rendering,
so a read-only or missing output folder fails at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from rootcause.errors import ReportError, describe_mkdir_error, describe_os_error
from rootcause.report import charts, kpis
from rootcause.report.context import ReportContext

MAX_RISING_THEMES = 8  # emerging/growing themes shown in full; the rest are in the top table


@dataclass
class RenderResult:
    path: Path
    pages: int
    sha256: str
    refused_urls: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _fmt_int(value: float | int | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _signed(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:+,.0f}{suffix}" if value else f"0{suffix}"


def build_environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["int"] = _fmt_int
    env.filters["signed"] = _signed
    return env


def render_html(context: ReportContext, templates: Path) -> str:
    """The report as one HTML document (charts inline), ready for WeasyPrint."""
    week_names = [str(w) for w in context.weeks]
    svgs: dict[str, Any] = {
        "weekly_volume": charts.weekly_volume_svg(week_names, context.weekly_totals),
        "channel_sparklines": {
            row.channel: charts.sparkline_svg(row.trend[-8:]) for row in context.channels
        },
        "theme_sparklines": {
            t.id: charts.sparkline_svg(list(t.trend)[-8:]) for t in context.themes
        },
        "fix_effects": {
            e.fix.id: charts.before_after_svg(
                [p.week for p in e.series],
                [e.effect.per * (p.rate or 0.0) for p in e.series],
                e.effect.ship_week,
                ylabel=f"per {e.effect.per} {e.effect.unit}",
            )
            for e in context.fix_effects
            if e.series
        },
    }
    if context.pareto:
        svgs["pareto"] = charts.pareto_svg(
            [b.label for b in context.pareto],
            [b.count for b in context.pareto],
            [b.cumulative_share for b in context.pareto],
        )
    if context.cause_series:
        svgs["cause_trends"] = charts.cause_trends_svg(
            week_names,
            context.cause_series,
            {
                k: (v.centre, v.lower, v.upper) if v else None
                for k, v in context.cause_limits.items()
            },
            context.fix_markers,
        )
    if any(context.confidence_bins):
        svgs["confidence"] = charts.histogram_svg(
            context.confidence_bins, xlabel="classifier confidence", ylabel="complaints"
        )
    env = build_environment(templates)
    return env.get_template("report.html.j2").render(
        r=context,
        charts=svgs,
        control_rule=kpis.CONTROL_RULE,
        max_rising=MAX_RISING_THEMES,
        cause_labels={c.name: c.label for c in context.taxonomy.causes},
        theme_fixes=context.theme_fixes,
        theme_splits=context.theme_splits,
        model_eval=context.model_eval,
        fix_rule=context.fix_rule,
    )


def _fetcher(templates: Path, refused: list[str]) -> Any:
    from weasyprint.urls import URLFetcher

    root = templates.resolve()

    class TemplateAssetFetcher(URLFetcher):  # type: ignore[misc]
        """Serve the templates' own files; refuse every other URL (and remember it)."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:image/svg+xml;base64,"):
                return super().fetch(url, headers)  # the report's own charts
            if url.startswith("file://"):
                from urllib.parse import unquote, urlparse

                target = Path(unquote(urlparse(url).path)).resolve()
                if target.is_relative_to(root) and target.is_file():
                    return super().fetch(url, headers)
            refused.append(url)
            raise ValueError(f"rootcause reports load no outside resources: {url[:80]}")

    return TemplateAssetFetcher(allowed_protocols=["file", "data"])


@contextmanager
def _capture_weasyprint_logs() -> Iterator[list[str]]:
    records: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    handler = _Keep(level=logging.WARNING)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


_STALE_PART_SECONDS = 15 * 60


class _PendingFile:
    """A temporary file beside `out` that becomes `out` only when complete, or disappears.

    Created up front so a read-only, missing or full output folder is reported before minutes of
    rendering, never after; every failure is one ReportError naming `out`.
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(f"{out}: {describe_mkdir_error(out.parent, exc)}") from None
        # Left by a killed render; a recent one may belong to a render still under way.
        for stale in out.parent.glob(f".{out.name}.*.part"):
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > _STALE_PART_SECONDS:
                    stale.unlink()
        try:
            fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
            # mkstemp makes the file owner-only; a report is as readable as any file written here
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        except OSError as exc:
            raise self._error(exc) from None
        os.close(fd)
        self.tmp: Path | None = Path(name)

    def _error(self, exc: OSError) -> ReportError:
        return ReportError(f"{self.out}: cannot write the report: {describe_os_error(exc)}")

    def commit(self, data: bytes) -> None:
        """Write `data`, fsync it, rename it over `out`; the old `out` stays intact until then."""
        assert self.tmp is not None
        try:
            with self.tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(self.tmp, self.out)
        except OSError as exc:
            raise self._error(exc) from None
        self.tmp = None

    def discard(self) -> None:
        """Remove the temporary file unless it became `out`; safe to call more than once."""
        if self.tmp is not None:
            with contextlib.suppress(OSError):  # never hide the error that brought us here
                self.tmp.unlink(missing_ok=True)
            self.tmp = None


def _pdf(html: str, pending: _PendingFile, *, templates: Path, identifier: str) -> RenderResult:
    from weasyprint import HTML

    refused: list[str] = []
    with _capture_weasyprint_logs() as logs:
        document = HTML(
            string=html,
            base_url=templates.resolve().as_uri() + "/",
            url_fetcher=_fetcher(templates, refused),
        ).render()
        pdf = document.write_pdf(pdf_identifier=identifier.encode("ascii"))
    assert isinstance(pdf, bytes)
    pending.commit(pdf)
    return RenderResult(
        path=pending.out,
        pages=len(document.pages),
        sha256=hashlib.sha256(pdf).hexdigest(),
        refused_urls=refused,
        warnings=logs,
    )


def check_writable(out: Path) -> None:
    """Raise the ReportError rendering would raise for an unwritable `out`, before a long run
    spends minutes on stages whose report it then cannot write."""
    _PendingFile(out).discard()


def write_pdf(html: str, out: Path, *, templates: Path, identifier: str) -> RenderResult:
    """Write `html` as a PDF at `out` atomically; returns pages, hash and anything refused."""
    pending = _PendingFile(out)
    try:
        return _pdf(html, pending, templates=templates, identifier=identifier)
    finally:
        pending.discard()


def render_report(context: ReportContext, out: Path, *, templates: Path) -> RenderResult:
    """Render the weekly report for `context` to `out`."""
    if not (templates / "report.html.j2").is_file():
        raise ReportError(f"{templates}: no report.html.j2 here (setting report.templates_dir)")
    pending = _PendingFile(out)  # before rendering: an unwritable folder fails in a second
    try:
        html = render_html(context, templates)
        identifier = hashlib.md5(f"{context.week}:{context.snapshot}".encode()).hexdigest()
        return _pdf(html, pending, templates=templates, identifier=identifier)
    finally:
        pending.discard()
