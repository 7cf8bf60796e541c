"""Success criteria: what owners type, what is stored, what is refused."""

from __future__ import annotations

import pytest

from rootcause.errors import ConfigError
from rootcause.fixes.criterion import DEFAULT_CRITERION, Criterion, parse_criterion


@pytest.mark.parametrize(
    ("text", "reduction", "weeks"),
    [
        ("50% within 4 weeks", 0.5, 4),
        ("rate down 50% within 4 weeks", 0.5, 4),
        ("down 25% in 6 weeks", 0.25, 6),
        ("40%", 0.4, 4),
        ("  12.5 % within 1 week ", 0.125, 1),
        ("35% within 8w", 0.35, 8),
    ],
)
def test_criterion_parses_what_owners_write(text, reduction, weeks):
    assert parse_criterion(text) == Criterion(reduction, weeks)


def test_criterion_default_and_canonical_text_round_trip():
    assert parse_criterion(None) == parse_criterion("") == DEFAULT_CRITERION
    assert DEFAULT_CRITERION.text == "rate down 30% within 4 weeks"
    assert Criterion(0.125, 1).text == "rate down 12.5% within 1 week"
    for c in (DEFAULT_CRITERION, Criterion(0.5, 8), Criterion(0.125, 1)):
        assert parse_criterion(c.text) == c
    assert DEFAULT_CRITERION.target_ratio == pytest.approx(0.7)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("half", "success criterion 'half' not understood; expected e.g. \"50% within 4 weeks\""),
        ("0% within 4 weeks", "drop must be between 0% and 100%, not 0%"),
        ("100%", "drop must be between 0% and 100%, not 100%"),
        ("50% within 0 weeks", "horizon must be 1 to 52 weeks, not 0"),
        ("50% within 60 weeks", "horizon must be 1 to 52 weeks, not 60"),
    ],
)
def test_criterion_refuses_what_it_cannot_judge(text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_criterion(text)
