"""What the classifier reads: the complaint as written, courtesy formulas and handles blanked.

Greetings and sign-offs ("Hi team", "Many thanks, Jo", "Sent from my iPhone") carry no cause, but
a bag-of-words model learns them from whichever class happens to use them most (in our data:
praise, filed under `other`). They are replaced by spaces of the same length, so every character
offset in the evidence still points into the complaint as written. Case is kept: the classifier
folds it per word (`nlp.bow_textcat`), which is cheaper than tokenizing lower-cased text.
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
# Words one of those sign-offs contains: a tail with none of them is not searched.
_SIGN_OFF_WORDS = ("thank", "regards", "cheers", "wishes", "sincerely", "faithfully", "sent from")
_SENT_FROM = re.compile(r"\bsent from my \w+\b")
# Handles, links and hashtags' '#' name a brand or a page, never a cause: `@handle` and `#` not
# after a word character, `http(s)://...`, `www....`. The leading character class lets the regex
# engine skip every other position; written with `(?<!\w)` up front it ran 3x slower.
_NOISE = re.compile(
    r"[@#hw](?:(?<=(?<!\w)@)\w+|(?<=(?<!\w)#)(?=\w)|(?<=h)ttps?://\S+|(?<=w)ww\.\S+)"
)
# A sign-off sits in the last few lines; searching only there (from `pos`, so word boundaries
# still see the character before it) keeps a long narrative from being scanned end to end.
_SIGN_OFF_REACH = 400


def model_text(text: str) -> str:
    """`text` with its greeting, sign-off, handles and links blanked, keeping its length.

    The patterns are matched on a lower-case copy; the blanks go into the text as written.
    """
    lowered = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    spans: list[tuple[int, int]] = []
    greeting = _GREETING.match(lowered)
    if greeting:
        spans.append(greeting.span())
    body = lowered.rstrip()
    start = max(greeting.end() if greeting else 0, len(body) - _SIGN_OFF_REACH)
    tail = body[start:]
    sign_off = _SIGN_OFF.search(body, start) if any(w in tail for w in _SIGN_OFF_WORDS) else None
    if sign_off:
        spans.append(sign_off.span())
        lowered = lowered[: sign_off.start()]
    # Each scan below is skipped when its text cannot occur: most complaints have none of them.
    if "sent from my" in lowered:
        spans += (m.span() for m in _SENT_FROM.finditer(lowered))
    if "@" in lowered or "#" in lowered or "http" in lowered or "www." in lowered:
        spans += (m.span() for m in _NOISE.finditer(lowered))
    if not spans:
        return text
    parts: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if end > at:  # spans may overlap: blank from wherever the last one stopped
            begin = max(start, at)
            parts += (text[at:begin], " " * (end - begin))
            at = end
    parts.append(text[at:])
    return "".join(parts)


# Which tokens may enter the evidence lexicon (training); `predict` looks the lexicon up by token.
LEXICON_WORD = re.compile(r"[a-z][a-z']{2,}")
