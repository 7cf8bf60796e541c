"""Train the cause classifier on the team-written data, calibrate it, and save it with its rules.

Reproducible: a fixed seed, a config file in the repository, and a version that is a hash of the
config, the training data, the taxonomy and the code that prepares text and scores rules. The
held-out dev split chooses the temperature (calibration), the needs-review threshold and, when
the config lists more than one, the rule weight; the test split is only measured.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import random
import shutil
import tempfile
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.strings import StringStore
from spacy.training import Example
from spacy.vectors import Vectors
from thinc.api import fix_random_seed

from rootcause.classify.data import LabelledText, stratified_split
from rootcause.classify.evaluate import classification_metrics, expected_calibration_error
from rootcause.classify.nlp import RULER, SCORES, add_rules, build_nlp, combine, rule_counts
from rootcause.classify.phrases import learned_phrases
from rootcause.classify.text import LEXICON_WORD, model_text
from rootcause.classify.vectors import load_vectors, vectors_digest
from rootcause.errors import ConfigError, RootcauseError
from rootcause.taxonomy import Taxonomy

META_FILE = "rootcause.json"
CONFIG_PATH = Path(__file__).resolve().parent / "config.toml"
_STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "you",
        "your",
        "was",
        "were",
        "have",
        "has",
        "had",
        "this",
        "that",
        "with",
        "not",
        "but",
        "are",
        "our",
        "from",
        "they",
        "them",
        "then",
        "than",
        "what",
        "when",
        "which",
        "who",
        "will",
        "would",
        "there",
        "their",
        "about",
        "been",
        "into",
        "just",
        "can",
        "could",
        "did",
        "does",
        "get",
        "got",
        "its",
        "it's",
        "i'm",
        "i've",
        "me",
        "my",
        "we",
        "us",
        "she",
        "her",
        "his",
        "him",
        "all",
        "any",
        "some",
        "out",
        "one",
        "two",
        "",
    }
)


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 20261123
    epochs: int = 12
    batch_size: int = 32
    dropout: float = 0.2
    ngram_size: int = 2
    static_vectors: bool = True
    dev_share: float = 0.1
    test_share: float = 0.1
    rule_weights: tuple[float, ...] = (0.5,)
    learned_min_count: int = 8
    learned_min_precision: float = 0.95
    review_precision: float = 0.90
    adapt_rule_confidence: float = 0.6
    adapt_require_rule: bool = True
    adapt_bare_confidence: float = 0.95
    adapt_max_ratio: float = 1.0


def load_config(path: Path = CONFIG_PATH) -> tuple[TrainConfig, bytes]:
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        if "rule_weights" in data:
            data["rule_weights"] = tuple(float(w) for w in data["rule_weights"])
            if not data["rule_weights"]:
                raise ValueError("rule_weights needs at least one weight")
        return TrainConfig(**data), raw
    except (tomllib.TOMLDecodeError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def model_version(
    config_bytes: bytes,
    examples: Sequence[LabelledText],
    taxonomy: Taxonomy,
    vectors: str | None = None,
) -> str:
    """Hash of everything the model is trained from; `vectors` is the word-vector table's
    digest when the model reads one."""
    digest = hashlib.sha256(config_bytes)
    digest.update(taxonomy.version.encode())
    # What the model reads, how rules are scored, and which phrases it learns as rules.
    for module in ("text.py", "nlp.py", "phrases.py"):
        digest.update((Path(__file__).resolve().parent / module).read_bytes())
    if vectors:
        digest.update(vectors.encode())
    for ex in examples:
        digest.update(f"{ex.cause}\t{ex.text}\n".encode())
    return digest.hexdigest()[:12]


def _lexicon(
    nlp: Language, examples: Sequence[LabelledText], causes: Sequence[str], top: int = 400
) -> dict[str, dict[str, float]]:
    """Naive-Bayes log-count ratios: the words that most favour each cause (shown as evidence).
    Words are the tokenizer's, lower-cased, as `predict` looks them up."""
    counts = {c: Counter[str]() for c in causes}
    for ex in examples:
        words = {tok.lower_ for tok in nlp.make_doc(ex.text)}
        counts[ex.cause].update(w for w in words if LEXICON_WORD.fullmatch(w) and w not in _STOP)
    vocab = set().union(*counts.values())
    out: dict[str, dict[str, float]] = {}
    for c in causes:
        mine = counts[c]
        rest = Counter[str]()
        for other in causes:
            if other != c:
                rest.update(counts[other])
        a, b = sum(mine.values()) + len(vocab), sum(rest.values()) + len(vocab)
        ratios = {
            w: math.log((mine[w] + 1) / a) - math.log((rest[w] + 1) / b)
            for w in vocab
            if mine[w] >= 3
        }
        best = sorted(ratios.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        out[c] = {w: round(r, 3) for w, r in best if r > 0}
    return out


def _scored(
    nlp: Language, examples: Sequence[LabelledText]
) -> list[tuple[dict[str, float], dict[str, int]]]:
    docs = nlp.pipe((model_text(ex.text) for ex in examples), batch_size=256)
    return [(dict(doc.cats), rule_counts(doc)) for doc in docs]


def _predict(
    scored: Sequence[tuple[dict[str, float], dict[str, int]]], weight: float, temperature: float
) -> list[dict[str, float]]:
    return [combine(p, m, rule_weight=weight, temperature=temperature) for p, m in scored]


def _nll(scores: Sequence[dict[str, float]], gold: Sequence[str]) -> float:
    return -sum(math.log(max(s[g], 1e-9)) for s, g in zip(scores, gold, strict=True)) / len(gold)


def _review_threshold(
    scores: Sequence[dict[str, float]], gold: Sequence[str], precision: float
) -> float:
    """Lowest confidence t such that dev predictions with confidence >= t are `precision` right."""
    ranked = sorted(
        (
            (max(s.values()), max(s, key=s.__getitem__) == g)
            for s, g in zip(scores, gold, strict=True)
        ),
        reverse=True,
    )
    best, right = 1.0, 0
    for i, (conf, ok) in enumerate(ranked, 1):
        right += ok
        if right / i >= precision:
            best = conf
    return round(best, 4)


def _replace_dir(new: Path, target: Path) -> None:
    """Swap a fully written model folder into place: a crash leaves the old model or the new one,
    never a mix, and no file of an old pipeline component lingers in the new folder."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class TrainReport:
    version: str
    path: str
    examples: dict[str, int]
    rule_weight: float
    temperature: float
    review_threshold: float
    learned_phrases: int
    dev: dict[str, Any]
    test: dict[str, Any]
    ece_test_before: float
    ece_test_after: float


def train_classifier(
    examples: Sequence[LabelledText],
    taxonomy: Taxonomy,
    out_dir: Path,
    *,
    config: TrainConfig,
    config_bytes: bytes,
    train_only: Sequence[LabelledText] = (),
) -> TrainReport:
    """Train, calibrate on dev, measure on test, and save the pipeline to `out_dir`.

    `train_only` examples (pseudo-labels from `rootcause adapt`) join the training split but
    never dev or test, so calibration and the reported metrics stay on team-written data.
    """
    if importlib.util.find_spec("spacy_lookups_data") is None:
        raise RootcauseError(
            "training needs the lemma tables of spacy-lookups-data: pip install 'rootcause[dev]'"
        )
    fix_random_seed(config.seed)
    causes = list(taxonomy.cause_names)
    train, dev, test = stratified_split(
        examples, dev_share=config.dev_share, test_share=config.test_share, seed=config.seed
    )
    team_train = list(train)  # learned phrases come from people's labels, not pseudo-labels
    train += train_only
    vectors = load_vectors(StringStore()) if config.static_vectors else None
    nlp = build_nlp(taxonomy, ngram_size=config.ngram_size, vectors=vectors)
    train_examples = [
        Example.from_dict(
            nlp.make_doc(ex.text), {"cats": {c: float(c == ex.cause) for c in causes}}
        )
        for ex in train
    ]
    optimizer = nlp.initialize(lambda: train_examples)
    add_rules(nlp, taxonomy)
    phrases = learned_phrases(
        nlp,
        team_train,
        min_count=config.learned_min_count,
        min_precision=config.learned_min_precision,
    )
    nlp.get_pipe(RULER).add_patterns(phrases)  # type: ignore[attr-defined]
    rng = random.Random(config.seed)
    for _ in range(config.epochs):
        rng.shuffle(train_examples)
        for i in range(0, len(train_examples), config.batch_size):
            nlp.update(
                train_examples[i : i + config.batch_size], sgd=optimizer, drop=config.dropout
            )

    dev_scored, dev_gold = _scored(nlp, dev), [ex.cause for ex in dev]

    def dev_quality(weight: float) -> tuple[float, float]:
        preds = [max(s, key=s.__getitem__) for s in _predict(dev_scored, weight, 1.0)]
        m = classification_metrics(dev_gold, preds, causes)
        return m["macro_f1"], m["accuracy"]

    weight = max(config.rule_weights, key=lambda w: (dev_quality(w), -w))
    temps = [round(0.1 + 0.05 * i, 2) for i in range(59)]
    temperature = min(temps, key=lambda t: _nll(_predict(dev_scored, weight, t), dev_gold))
    dev_scores = _predict(dev_scored, weight, temperature)
    threshold = _review_threshold(dev_scores, dev_gold, config.review_precision)

    test_scored, test_gold = _scored(nlp, test), [ex.cause for ex in test]
    before = _predict(test_scored, weight, 1.0)
    after = _predict(test_scored, weight, temperature)
    test_pred = [max(s, key=s.__getitem__) for s in after]
    correct = [p == g for p, g in zip(test_pred, test_gold, strict=True)]

    digest = vectors_digest() if vectors is not None else None
    version = model_version(config_bytes, [*examples, *train_only], taxonomy, digest)
    nlp.add_pipe(SCORES, config={"rule_weight": weight, "temperature": temperature})
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    nlp.meta.update({"name": "rootcause_causes", "version": "0.0.0", "description": version})
    if vectors is not None:
        # The table ships once, in the package (`vectors.VECTORS_DIR`), and `Classifier` sets it
        # on the loaded vocabulary; a copy in every saved model would be 11 MB more each.
        nlp.vocab.vectors = Vectors(strings=nlp.vocab.strings, shape=(0, vectors.shape[1]))
    nlp.to_disk(staging)
    report = TrainReport(
        version=version, path=str(out_dir),
        examples={"train": len(train), "dev": len(dev), "test": len(test)},
        rule_weight=weight, temperature=temperature, review_threshold=threshold,
        learned_phrases=len(phrases),
        dev=classification_metrics(dev_gold, [max(s, key=s.__getitem__) for s in dev_scores],
                                   causes),
        test=classification_metrics(test_gold, test_pred, causes),
        ece_test_before=expected_calibration_error([max(s.values()) for s in before],
                                                   [max(s, key=s.__getitem__) == g for s, g in
                                                    zip(before, test_gold, strict=True)]),
        ece_test_after=expected_calibration_error([max(s.values()) for s in after], correct),
    )  # fmt: skip
    # No path in the saved metadata: the model folder moves with the package.
    meta = {
        **{k: v for k, v in asdict(report).items() if k != "path"},
        "config": asdict(config),
        "taxonomy_version": taxonomy.version,
        "causes": causes,
        "lexicon": _lexicon(nlp, train, causes),
        "vectors": digest,
    }
    (staging / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    _replace_dir(staging, out_dir)
    return report
