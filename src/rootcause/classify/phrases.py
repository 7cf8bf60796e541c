"""Learned phrases: short word sequences the team's data ties to one cause, matched as rules.

Why: the classifier averages the bag of words with the word-vector branch, and on other people's
complaints the vectors often outvote a phrase that is nearly always one cause in our data ("been
trying to reach", "a human"). A matched phrase adds the rule weight to its cause, as a taxonomy
rule does, so that evidence is not averaged away. On the real labelled complaints this raised
accuracy for every one of nine training seeds tried (issue 3 note). The phrases come from the
training split only, so dev and test stay unseen; each needs `min_count` examples, so no phrase
stands for one complaint's wording.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from spacy.language import Language

from rootcause.classify.data import LabelledText
from rootcause.classify.text import model_text

LEARNED_PREFIX = "learned: "  # the pattern id of a learned phrase, shown in the evidence
MIN_WORDS = 2
MAX_WORDS = 4


def learned_phrases(
    nlp: Language,
    examples: Sequence[LabelledText],
    *,
    min_count: int,
    min_precision: float,
) -> list[dict[str, str]]:
    """Span-ruler patterns for each 2-4 word sequence found in at least `min_count` examples,
    at least `min_precision` of them of one cause. Sequences start and end with a word, and
    are kept only if the tokenizer reads the pattern back as the same words (else the ruler could
    never match it). Sorted by cause and phrase, so the same data gives the same model bytes."""
    if min_count < 1:
        return []
    by_cause: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for ex in examples:
        words = [t.lower_ for t in nlp.make_doc(model_text(ex.text)) if not t.is_space]
        found = {
            " ".join(words[i : i + n])
            for n in range(MIN_WORDS, MAX_WORDS + 1)
            for i in range(len(words) - n + 1)
            if words[i].isalpha() and words[i + n - 1].isalpha()
        }
        by_cause[ex.cause].update(found)
    totals: Counter[str] = Counter()
    for counts in by_cause.values():
        totals.update(counts)
    patterns = []
    for cause in sorted(by_cause):
        for phrase, count in by_cause[cause].items():
            total = totals[phrase]
            if (
                total >= min_count
                and count / total >= min_precision
                and [t.lower_ for t in nlp.make_doc(phrase)] == phrase.split(" ")
            ):
                patterns.append({"label": cause, "pattern": phrase, "id": LEARNED_PREFIX + phrase})
    return sorted(patterns, key=lambda p: (p["label"], p["pattern"]))
