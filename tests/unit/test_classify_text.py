"""What the classifier reads: courtesy formulas blanked, offsets and case kept."""

from __future__ import annotations

import pytest

from rootcause.classify.text import model_text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Hi team, the chips were missing. Cheers, Rhiannon", "the chips were missing."),
        ("Dear Sir,\nMy refund is late.\nKind regards,\nJo Bloggs", "My refund is late."),
        ("Got home and the main was missing.\n\nMany thanks", "Got home and the main was missing."),
        ("Still no refund. Sent from my iPhone", "Still no refund."),
    ],
)
def test_classify_text_blanks_greetings_and_sign_offs(text, kept):
    out = model_text(text)
    assert len(out) == len(text)
    assert " ".join(out.split()) == kept


@pytest.mark.parametrize(
    "text",
    [
        "Thank you so much for the help!",
        "thanks for nothing",
        "Hello? Is anyone there? My order is missing",
    ],
)
def test_classify_text_keeps_words_that_carry_meaning(text):
    out = model_text(text).lower()
    assert "thank" in out or "order is missing" in out


def test_classify_text_length_kept_when_lowercasing_changes_length():
    text = "İstanbul office never called back"
    assert len(model_text(text)) == len(text)


def test_classify_text_blanks_handles_and_links():
    text = "@NorthwindAir on hold for an hour http://t.co/abc #fail"
    out = model_text(text)
    assert len(out) == len(text)
    assert " ".join(out.split()) == "on hold for an hour fail"


def test_classify_text_blanks_what_it_matched_in_any_case_and_keeps_the_rest_as_written():
    text = "HELLO TEAM, My Order #123 never came, @ACME_Help WWW.ACME.COM KIND REGARDS, JO"
    out = model_text(text)
    assert len(out) == len(text)
    assert " ".join(out.split()) == "My Order 123 never came,"


def test_classify_text_sign_off_found_after_a_long_narrative():
    # The sign-off search looks only at the tail; a long body must not hide it, and the word
    # boundary before the tail must still count ("nothanks" is not a sign-off).
    body = "The statement listed a charge I never made. " * 40
    out = model_text(body + "Kind regards,\nJo Bloggs")
    assert out.rstrip().endswith("never made.")
    assert out.startswith("The statement")
    assert model_text(body + "nothanks").rstrip().endswith("nothanks")
