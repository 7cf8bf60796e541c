"""rootcause.themes.text: what embeddings and labels are allowed to see."""

from __future__ import annotations

from rootcause.themes.text import (
    Preprocessor,
    boilerplate_sentences,
    clean_text,
    handle_names,
    proper_nouns,
    stop_words,
    stop_words_for,
)


def test_text_clean_drops_salutation_signature_handles_and_masks():
    text = (
        "Dear Northwind team,\n"
        "@NorthwindShop my refund never came, see https://example.com/x and card [CARD].\n"
        "Account XXXX-XXXX. #fail\n"
        "Kind regards,\n"
        "Priyanka Okafor"
    )
    cleaned = clean_text(text)
    assert " ".join(cleaned.split()) == "my refund never came, see and card . account - ."
    for gone in ("dear", "regards", "okafor", "@", "http", "card]", "xxxx", "#fail"):
        assert gone not in cleaned


def test_text_clean_keeps_a_one_line_complaint_that_starts_with_hello():
    assert clean_text("Hello? the parcel arrived ripped open") == (
        "hello? the parcel arrived ripped open"
    )


def test_text_clean_spells_out_call_note_shorthand():
    assert clean_text("Cust rang re CB, prev agent, 40 mins") == (
        "cust rang re callback, previous agent, 40 minutes"
    )
    assert clean_text("He promised to ring me back. Nobody called us back.") == (
        "he promised to callback. nobody callback."
    )


def test_text_proper_nouns_are_words_never_written_in_lower_case():
    texts = ["Sarah called about the app.", "Sarah again. The App crashed.", "app app"]
    assert proper_nouns(texts) == {"sarah"}


def test_text_handle_names_give_the_company_name():
    assert handle_names(["hey @NorthwindShop and @NorthwindEats"]) == {
        "northwindshop",
        "northwindeats",
        "northwind",
    }


def test_text_stop_words_keep_negations_and_drop_greetings():
    words = stop_words()
    assert {"hello", "thanks", "please", "cust", "the"} <= words
    assert not {"no", "not", "never"} & words
    assert "northwind" in stop_words_for(["@NorthwindShop help"], ["extra"])
    assert "extra" in stop_words_for([], ["Extra"])


def test_text_boilerplate_is_a_sentence_repeated_across_many_complaints():
    items = ["sofa", "lamp", "rug", "desk", "chair", "table", "shelf", "mirror"]
    texts = [f"My {item} arrived broken. I expect a response this week." for item in items]
    texts += ["The app crashes on the voucher screen. I expect a response this week."]
    boilerplate = boilerplate_sentences(texts, min_documents=5)
    assert boilerplate == {"i expect a response this week"}
    assert Preprocessor(boilerplate)(texts[-1]) == "the app crashes on the voucher screen"


def test_text_a_repeated_sentence_that_is_the_whole_complaint_is_content():
    """A templated export ("Two items were missing. (ref 17)") repeats its complaints word for
    word; dropping them as boilerplate would leave nothing to embed."""
    texts = [f"Two items were missing from my order. (ref {i})" for i in range(40)]
    texts += [f"My refund has still not arrived. Order {i}." for i in range(40)]
    assert boilerplate_sentences(texts, min_documents=5) == frozenset()
