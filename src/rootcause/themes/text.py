"""What a complaint says, minus what every complaint says: the text both embeddings and labels see.

Complaints arrive wrapped in salutations, sign-offs, names, @handles, links and the masks the
redaction stage left ([EMAIL], XXXX). None of that tells two complaints apart, but left in it makes
"dear team thanks" a theme and "Sarah" a label. So the text is cleaned once, here, and the same
rules serve the embedder (which documents are alike) and the labeller (what to call them).

Names are found from the corpus itself rather than a list: a word that is capitalised every time
it occurs (Hamza, Northwind, Gatwick) is a proper noun, which a theme label should never be.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache

# Words of two or more letters; apostrophes and hyphens inside a word keep it whole.
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*\b"
_TOKEN = re.compile(TOKEN_PATTERN)

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)[@#]\w+")  # @company handles and #hashtags
_MASK = re.compile(r"\[[A-Z_]+\]|\b[Xx]{2,}\b|\*{2,}")  # redaction masks: [CARD], XXXX, ****
_LINE_OPENERS = re.compile(
    r"^(dear|hello|hi|hey|good (morning|afternoon|evening)|to whom it may concern|greetings|"
    r"thanks|thank you|many thanks|regards|kind regards|best regards|best wishes|best|cheers|"
    r"sincerely|yours sincerely|yours faithfully|yours truly|sent from my)\b",
    re.IGNORECASE,
)
_SALUTATION_MAX_WORDS = 6
_SIGNATURE_MAX_WORDS = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CONTRACTIONS = _words(
    "i'm i've i'd i'll it's don't can't won't didn't doesn't isn't wasn't haven't hasn't hadn't "
    "that's there's you're you've you'd we're we've they're they've let's what's who's couldn't "
    "wouldn't shouldn't aren't weren't ain't im ive dont cant wont didnt doesnt isnt wasnt "
    "havent hasnt thats theres youre"
)
_POLITENESS = _words(
    "hi hello hey dear thanks thank thankyou please pls regards kind cheers sincerely faithfully "
    "team sir madam morning afternoon evening appreciate appreciated"
)
# Call-note shorthand agents write around every complaint ("Cust rang re ...").
_NOTE_JARGON = _words(
    "cust customer customers re rang ringing called calling inbound outbound advised apologised "
    "apologized explained outcome per ref ticket noted confirmed informed"
)
# Words every complaint uses; they say that something went wrong, not what.
_COMPLAINT_FILLER = _words(
    "just really also still get got getting would could like one know want wanted said told "
    "today yesterday week weeks time times day days thing things way lot sort sorted "
    "complaint complain complaining issue issues problem problems happy unhappy disappointed "
    "help helpful response reply contact contacted contacting again ago did does doing done "
    "make makes made let tried try trying use used using asked given took taken approx "
    "honestly genuinely literally actually absolutely"
)
# Kept although English stop lists drop them: "no updates" and "never arrived" name failures.
NEGATIONS = frozenset({"no", "not", "never", "nobody", "nothing"})


@cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words plus the complaint-specific ones, minus negations."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    extra = _CONTRACTIONS | _POLITENESS | _NOTE_JARGON | _COMPLAINT_FILLER
    return (frozenset(ENGLISH_STOP_WORDS) | extra) - NEGATIONS


# Call-note shorthand spelled out, so "promised CB" and "promised call-back" are one phrase.
_ABBREVIATIONS = {
    "cb": "callback",
    "call-back": "callback",
    "prev": "previous",
    "min": "minutes",
    "mins": "minutes",
    "hr": "hours",
    "hrs": "hours",
    "info": "information",
    "w/o": "without",
}
# "promised to ring me back", "never called us back": one failure, one word for it.
_CALLBACK = re.compile(r"\b(?:ring|call|phone)(?:ed|ing|s)?\s+(?:me\s+|us\s+|you\s+)?back\b")
_ABBREVIATION = re.compile(
    r"(?<![\w/-])(" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")(?![\w/-])"
)


def clean_text(text: str) -> str:
    """Lower-cased text without links, handles, masks, salutations, sign-offs or signatures."""
    text = _MASK.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", text)))
    kept: list[str] = []
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    for i, line in enumerate(lines):
        words = line.split()
        if len(lines) > 1 and _is_salutation(line, words):
            continue
        if i == len(lines) - 1 and i > 0 and _is_signature(words):
            continue
        kept.append(line)
    text = _CALLBACK.sub("callback", " ".join(kept).lower())
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)


def _is_salutation(line: str, words: list[str]) -> bool:
    """'Dear Northwind team,' or 'Kind regards' on a line of its own (not 'Hello? it broke')."""
    if len(words) > _SALUTATION_MAX_WORDS or not _LINE_OPENERS.match(line):
        return False
    return line.endswith((",", ":")) or len(words) <= 3


def _is_signature(words: list[str]) -> bool:
    return len(words) <= _SIGNATURE_MAX_WORDS and all(w[:1].isupper() for w in words)


def tokens(text: str) -> list[str]:
    """The words of already cleaned text, in order (stop words included)."""
    return _TOKEN.findall(text)


def proper_nouns(texts: Iterable[str], *, min_count: int = 2) -> frozenset[str]:
    """Lower-cased words that are capitalised wherever they occur: names, brands, places."""
    capitalised: Counter[str] = Counter()
    lower: set[str] = set()
    for text in texts:
        raw = _MASK.sub(" ", _HANDLE.sub(" ", _URL.sub(" ", text)))
        for word in _TOKEN.findall(raw):
            if word.islower():
                lower.add(word)
            elif word[0].isupper() and (len(word) == 1 or word[1:].islower()):
                capitalised[word.lower()] += 1
    return frozenset(w for w, n in capitalised.items() if n >= min_count and w not in lower)


def handle_names(texts: Iterable[str]) -> frozenset[str]:
    """Company names taken from @handles: '@NorthwindShop' gives 'northwindshop' and 'northwind'."""
    names: set[str] = set()
    for text in texts:
        for handle in re.findall(r"(?<!\w)@(\w+)", text):
            names.add(handle.lower())
            parts = re.findall(r"[A-Z][a-z]+", handle)
            if parts and len(parts[0]) >= 4:
                names.add(parts[0].lower())
    return frozenset(names)


def stop_words_for(texts: Iterable[str], extra: Iterable[str] = ()) -> frozenset[str]:
    """Everything a theme should not be about, for this corpus: the fixed list, the corpus's
    proper nouns and company handles, and the configured extra words."""
    texts = list(texts)
    extra_words = frozenset(w.lower() for w in extra)
    return stop_words() | proper_nouns(texts) | handle_names(texts) | extra_words


_SENTENCE_END = re.compile(r"[.!?;]+(?:\s+|$)|\s*\n\s*")
BOILERPLATE_SHARE = 0.01
BOILERPLATE_COMPANY = 0.8  # share of a boilerplate sentence's complaints that say more besides
BOILERPLATE_MIN_DOCUMENTS = 20
_BOILERPLATE_MIN_WORDS = 3


def _sentence_key(sentence: str) -> str:
    return " ".join(_TOKEN.findall(sentence))


def boilerplate_sentences(
    texts: Iterable[str],
    *,
    share: float = BOILERPLATE_SHARE,
    min_documents: int = BOILERPLATE_MIN_DOCUMENTS,
) -> frozenset[str]:
    """Sentences repeated word for word in at least `share` of the (distinct) complaints, and
    nearly always next to other words of substance.

    Templates, survey prompts, signatures and stock phrases ("I'd like this escalated") recur
    verbatim across unrelated complaints, beside the complaint itself. Left in, such a sentence
    becomes a theme of its own. A repeated sentence that usually *is* the complaint ("Two items
    were missing." plus a reference number) is content, not boilerplate: dropping it had left
    most of a templated export with nothing to embed.
    """
    texts = list(texts)
    counts: Counter[str] = Counter()
    accompanied: Counter[str] = Counter()
    for text in texts:
        keys = {_sentence_key(s) for s in _SENTENCE_END.split(clean_text(text))}
        keys = {k for k in keys if k}
        long_keys = {k for k in keys if len(k.split()) >= _BOILERPLATE_MIN_WORDS}
        counts.update(long_keys)
        for key in long_keys:
            if any(other != key and len(other.split()) >= _BOILERPLATE_MIN_WORDS for other in keys):
                accompanied[key] += 1
    floor = max(min_documents, share * len(texts))
    return frozenset(
        k for k, n in counts.items() if n >= floor and accompanied[k] >= BOILERPLATE_COMPANY * n
    )


class Preprocessor:
    """`clean_text` without the corpus's boilerplate sentences; a vectorizer's `preprocessor`."""

    def __init__(self, boilerplate: frozenset[str] = frozenset()) -> None:
        self.boilerplate = boilerplate

    def __call__(self, text: str) -> str:
        cleaned = clean_text(text)
        if not self.boilerplate:
            return cleaned
        parts = _SENTENCE_END.split(cleaned)
        return " ".join(p for p in parts if p and _sentence_key(p) not in self.boilerplate)
