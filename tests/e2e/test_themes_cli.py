"""`rootcause themes ...` end to end on the bundled demo data, and its exact errors."""

from __future__ import annotations

import re

import pytest

from tests.e2e.cli import run_cli

THEME_KEYS = {"id", "label", "keywords", "causes", "count", "trend", "status"}
STATUSES = {"new", "growing", "stable", "fading", "dormant"}
VOUCHER = re.compile(r"voucher|crash|discount code|promo")


def themes_json(capsys, week: str) -> dict:
    result = run_cli(capsys, "themes", "--week", week, "--json")
    assert result.code == 0, result.err
    return result.json()


def voucher_theme(data: dict) -> dict:
    found = [
        t for t in data["themes"] if VOUCHER.search(" ".join([t["label"], *t["keywords"][:5]]))
    ]
    assert found, [t["label"] for t in data["themes"]]
    return max(found, key=lambda t: t["count"])


def test_themes_on_the_demo_data_tell_its_story(env, capsys):
    assert run_cli(capsys, "demo", "load").code == 0
    assert run_cli(capsys, "classify").code == 0

    # Story a: the Shop app's voucher crash appears in W40 (3 complaints, then 3 in W41: too
    # few to be a theme); by W42 it is one, and growing.
    early = run_cli(capsys, "themes", "--week", "2026-W42", "--json")
    assert early.code == 0, early.err
    assert early.err.startswith("mined 2026-W42: ")  # nothing stored yet, so it mined
    emerging = voucher_theme(early.json())
    assert emerging["status"] in {"new", "growing"}
    assert emerging["count"] >= 10

    first = run_cli(capsys, "themes", "--week", "2026-W47", "--json")
    assert first.code == 0, first.err
    data = first.json()
    assert set(data) == {"week", "complaints", "unassigned", "themes"}
    assert data["week"] == "2026-W47" and data["complaints"] > 100
    assert data["unassigned"] / data["complaints"] <= 0.15
    assert 12 <= len(data["themes"]) <= 40
    assert data["unassigned"] + sum(t["count"] for t in data["themes"]) == data["complaints"]
    for theme in data["themes"]:
        assert set(theme) == THEME_KEYS
        assert theme["status"] in STATUSES
        assert len(theme["trend"]) == 12 and theme["trend"][-1] == theme["count"]
        assert 1 <= len(theme["label"].split()) <= 4 and theme["keywords"]
        assert sum(theme["causes"].values()) == sum(theme["trend"])
        assert set(theme["causes"]) <= {"agent_error", "order_mixup", "process_gap", "other"}
    counts = [t["count"] for t in data["themes"]]
    assert counts == sorted(counts, reverse=True)

    # Five weeks on, the same theme (same id) is the biggest of the week and still growing.
    voucher = voucher_theme(data)
    assert voucher["id"] == emerging["id"]
    assert voucher["status"] in {"new", "growing"}
    assert sum(voucher["trend"][:4]) <= 4  # W36-W39: (almost) nothing before the release
    assert voucher["count"] >= 20 and voucher["count"] == max(counts)
    assert max(voucher["causes"], key=voucher["causes"].get) == "process_gap"

    # Stored now: a second call reads it back without mining.
    again = run_cli(capsys, "themes", "--week", "2026-W47", "--json")
    assert again.code == 0 and again.err == ""
    assert again.json() == data

    shown = run_cli(capsys, "themes", "show", str(voucher["id"]), "--json")
    assert shown.code == 0, shown.err
    detail = shown.json()
    assert detail["id"] == voucher["id"] and detail["week"] == "2026-W47"
    assert detail["trend"] == voucher["trend"] and detail["status"] == voucher["status"]
    assert len(detail["representatives"]) == 3
    for rep in detail["representatives"]:
        assert isinstance(rep["complaint_id"], int)
        assert re.search(r"voucher|code|app|checkout", rep["text"], re.IGNORECASE)
    sims = [rep["similarity"] for rep in detail["representatives"]]
    assert sims == sorted(sims, reverse=True)

    renamed = run_cli(capsys, "themes", "rename", str(voucher["id"]), "voucher crash at checkout")
    assert renamed.code == 0, renamed.err
    assert renamed.out.strip() == f'theme {voucher["id"]}: "voucher crash at checkout" (locked)'
    refit = run_cli(capsys, "themes", "--week", "2026-W47", "--refit", "--json")
    assert refit.code == 0, refit.err
    assert refit.json() == {**data, "themes": [
        {**t, "label": "voucher crash at checkout"} if t["id"] == voucher["id"] else t
        for t in data["themes"]
    ]}  # fmt: skip

    table = run_cli(capsys, "themes", "--week", "2026-W47")
    assert table.code == 0, table.err
    assert table.out.splitlines()[0].startswith("2026-W47: ")
    row = rf"^\s+{voucher['id']}\s+(new|growing)\s+\d+\s+\S+\s+voucher crash at checkout$"
    assert re.search(row, table.out, re.MULTILINE), table.out

    other = next(t for t in data["themes"] if t["id"] != voucher["id"])
    merged = run_cli(capsys, "themes", "merge", str(voucher["id"]), str(other["id"]))
    assert merged.code == 0, merged.err
    assert merged.out.strip() == (
        f'theme {other["id"]} merged into {voucher["id"]} ("voucher crash at checkout")'
    )
    after = {t["id"]: t for t in themes_json(capsys, "2026-W47")["themes"]}
    assert other["id"] not in after
    assert after[voucher["id"]]["count"] == voucher["count"] + other["count"]


def test_themes_errors_are_one_line_with_an_exit_code(env, capsys):
    for argv in (
        ("themes", "show", "999"),
        ("themes", "rename", "999", "refund delay"),
        ("themes", "merge", "1", "999"),
    ):
        result = run_cli(capsys, *argv)
        assert result.code == 1
        missing = "1" if argv[1] == "merge" else "999"  # the first unknown id is named
        assert result.err == (
            f"rootcause: error: no theme with id {missing} (list them with `rootcause themes`)\n"
        )
    bad_week = run_cli(capsys, "themes", "--week", "2026-W99")
    assert bad_week.code == 1
    assert bad_week.err.strip() == (
        "rootcause: error: '2026-W99' is not an ISO week: 2026 has no week 99"
    )
    empty = run_cli(capsys, "themes", "--json")
    assert empty.code == 1 and "holds no complaints" in empty.err


@pytest.mark.parametrize("command", [(), ("show",), ("rename",), ("merge",)])
def test_themes_every_command_has_help(capsys, command):
    result = run_cli(capsys, "themes", *command, "--help")
    assert result.code == 0
    assert "Usage: rootcause themes" in result.out


@pytest.mark.slow
def test_themes_shifting_the_window_by_a_week_keeps_the_ids(env, settings, capsys):
    """Of the W46 themes that survive into the W47 fit as one theme, at least 90% keep their id
    (a theme survives when most of its complaints still in the window land in one theme)."""
    from collections import Counter, defaultdict

    from sqlalchemy import select
    from sqlmodel import Session

    from rootcause.models import ThemeAssignment
    from rootcause.period import IsoWeek
    from rootcause.pipeline import open_database
    from rootcause.themes import mine_themes

    assert run_cli(capsys, "demo", "load").code == 0
    engine = open_database(settings)

    def fit(week: str) -> dict[int, int | None]:
        mine_themes(engine, settings, IsoWeek.parse(week))
        with Session(engine) as session:
            rows = session.execute(select(ThemeAssignment.complaint_id, ThemeAssignment.theme_id))
            return {int(c): t for c, t in rows}

    before, after = fit("2026-W46"), fit("2026-W47")
    moved: dict[int, list[int | None]] = defaultdict(list)
    for complaint, theme in before.items():
        if theme is not None and complaint in after:
            moved[theme].append(after[complaint])
    survivors = kept = 0
    for theme, now in moved.items():
        top, n = Counter(now).most_common(1)[0]
        if len(now) >= 5 and top is not None and n > len(now) / 2:
            survivors += 1
            kept += top == theme
    assert survivors >= 10
    assert kept >= 0.9 * survivors
