"""What the classifier reads: the complaint in lower case, courtesy formulas and handles blanked.

Greetings and sign-offs ("Hi team", "Many thanks, Jo", "Sent from my iPhone") carry no cause, but
a bag-of-words model learns them from whichever class happens to use them most (in our data:
praise, filed under `other`). They are replaced by spaces of the same length, so every character
offset in the evidence still points into the complaint as written.
"""

from __future__ import annotations

import re

_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|greetings|to whom it may concern)"
    r"\b[^\n,.!:?]{0,40}[,.!:?]?",
)
_SIGN_OFF = re.compile(
    r"(?:\b(?:many thanks|thanks in advance|thanks again|thank you in advance|kind regards|"
    r"best regards|warm regards|regards|cheers|thanks|thank you|best wishes|sincerely|yours "
    r"sincerely|yours faithfully|sent from my \w+)\b"
    r"(?:,[ \t]*[a-z][a-z.'-]{0,20}(?:[ \t][a-z][a-z.'-]{0,20}){0,2})?"  # "cheers, jo"
    r"[\s,.!]*(?:\n[^\n]{0,40}){0,2}\s*)$",
)
_SENT_FROM = re.compile(r"\bsent from my \w+\b")
# Handles, links and hashtags' '#' name a brand or a page, never a cause.
_NOISE = re.compile(r"(?<!\w)@\w+|https?://\S+|www\.\S+|(?<!\w)#(?=\w)")
# A sign-off sits in the last few lines; searching only there (from `pos`, so word boundaries
# still see the character before it) keeps a long narrative from being scanned end to end.
_SIGN_OFF_REACH = 400


def _blank(text: str, match: re.Match[str] | None) -> str:
    if match is None or match.start() == match.end():
        return text
    return text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]


def model_text(text: str) -> str:
    """Lower-case `text` and blank its greeting and sign-off, keeping its length."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    lowered = _blank(lowered, _GREETING.match(lowered))
    body = lowered.rstrip()
    lowered = _blank(lowered, _SIGN_OFF.search(body, max(0, len(body) - _SIGN_OFF_REACH)))
    # Each scan below is skipped when its text cannot occur: most complaints have none of them.
    if "sent from my" in lowered:
        lowered = _SENT_FROM.sub(_spaces, lowered)
    if "@" in lowered or "#" in lowered or "http" in lowered or "www." in lowered:
        lowered = _NOISE.sub(_spaces, lowered)
    return lowered


def _spaces(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


# The words the evidence lexicon is built from (training) and looked up with (predict).
LEXICON_WORD = re.compile(r"[a-z][a-z']{2,}")
