"""Domain adaptation by self-training: learn the user's own vocabulary from their complaints.

The shipped model knows the team-written examples; a contact centre's complaints use words the
team never wrote (product names, local slang). `rootcause adapt` classifies the complaints already
in the database and keeps only the verdicts it can trust: a confident prediction that a rule of
the same cause, from the taxonomy or a learned phrase, also supports (and, if configured, a very
confident one no rule backs). It then
retrains on the team data plus these pseudo-labels (plus every human label). The team data's dev
and test splits stay untouched, so the adapted model is tuned and measured like the shipped one.

Pseudo-labels are capped per cause at a multiple of that cause's team examples, so a flood of one
easy cause cannot drown the rest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rootcause.classify.data import LabelledText
from rootcause.classify.predict import Prediction


@dataclass(frozen=True)
class PseudoLabelRule:
    rule_confidence: float  # a prediction backed by a rule of its own cause needs this much
    bare_confidence: float | None  # a prediction no rule backs needs this much (None: never)
    max_ratio: float  # at most this many pseudo-labels per team example of the same cause


def _rule_backed(p: Prediction) -> bool:
    return any(
        e.get("kind") in ("rule", "phrase") and e.get("cause") == p.cause for e in p.evidence
    )


@dataclass(frozen=True, order=True)
class Candidate:
    """A verdict worth learning from; orders most confident first, ties by a hash of the text."""

    neg_confidence: float
    digest: str
    text: str
    cause: str


def trusted(
    texts: Iterable[str], predictions: Iterable[Prediction], rule: PseudoLabelRule
) -> list[Candidate]:
    """The verdicts confident enough to learn from (a rule of the same cause lowers the bar)."""
    out = []
    for text, p in zip(texts, predictions, strict=True):
        needed = rule.rule_confidence if _rule_backed(p) else rule.bare_confidence
        if text.strip() and needed is not None and p.confidence >= needed:
            key = " ".join(text.lower().split())
            digest = hashlib.sha256(key.encode()).hexdigest()
            out.append(Candidate(-p.confidence, digest, text, p.cause))
    return out


def keep_best(
    candidates: Iterable[Candidate], team_counts: dict[str, int], max_ratio: float
) -> list[Candidate]:
    """At most `max_ratio` pseudo-labels per team example of each cause, the surest first; a
    text seen twice counts once. Applying it page by page gives the same set as applying it once
    to everything, so memory stays bounded by the caps, not by the database."""
    by_cause: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_cause.setdefault(c.cause, []).append(c)
    out: list[Candidate] = []
    for cause in sorted(by_cause):
        cap = int(team_counts.get(cause, 0) * max_ratio)
        seen: set[str] = set()
        for c in sorted(by_cause[cause]):
            if len(seen) >= cap:
                break
            if c.digest not in seen:
                seen.add(c.digest)
                out.append(c)
    return out


def as_examples(candidates: Iterable[Candidate]) -> list[LabelledText]:
    return [LabelledText(c.text, c.cause, "pseudo-label") for c in candidates]


def pseudo_label_counts(examples: Sequence[LabelledText]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ex in examples:
        counts[ex.cause] = counts.get(ex.cause, 0) + 1
    return dict(sorted(counts.items()))
