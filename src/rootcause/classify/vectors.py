"""Static word vectors for the classifier, distilled once from a sentence transformer.

Why: the bag of words only knows the words the team wrote, so a real complaint worded another
way falls back on the catch-all. A vector per common English word, taken from a sentence
transformer, lets the classifier's second branch (`nlp.VECTORS_ARCHITECTURE`) read a complaint
by meaning. The table is built once (`make vectors`, which needs the `transformers` extra and a
model on disk) and shipped, so prediction needs neither PyTorch nor a download: a complaint's
vector is the normalised sum of its words' rows, one sparse product per batch.

How the table is built (`build_table`), as model2vec distils a model, but per word: each word
is embedded alone, the rows are reduced to `dims` with PCA, and each row is scaled by
sif / (sif + p(word)) with p from spaCy's English word frequencies, so that frequent words
weigh little in a sum.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from spacy.strings import StringStore
from spacy.vectors import Vectors

from rootcause.errors import ConfigError

VECTORS_DIR = Path(__file__).resolve().parent / "vectors"
TABLE_FILE = "table.npy"  # float16 rows, one per word of WORDS_FILE
WORDS_FILE = "words.txt"
META_FILE = "meta.json"
COMMON_WORDS = 20_000
SIF = 1e-3  # a word of frequency p weighs SIF / (SIF + p)
MIN_WEIGHT = 0.2  # words weighing less are left out of the table
_WORD = re.compile(r"[a-z][a-z'-]*")


def vectors_digest(path: Path = VECTORS_DIR) -> str:
    """Content hash of a table: part of the classifier's version, since the model reads it."""
    digest = hashlib.sha256()
    for name in (TABLE_FILE, WORDS_FILE):
        digest.update((path / name).read_bytes())
    return digest.hexdigest()[:12]


def load_vectors(strings: StringStore, path: Path = VECTORS_DIR) -> Vectors:
    """The shipped table as spaCy vectors keyed by each word's hash (as `Token.lower` is)."""
    if not (path / TABLE_FILE).is_file():
        raise ConfigError(f"{path}: no word-vector table here (run `make vectors`)")
    words = (path / WORDS_FILE).read_text(encoding="utf-8").split("\n")
    table = np.load(path / TABLE_FILE).astype(np.float32)
    if table.shape[0] != len(words):
        raise ConfigError(f"{path}: {len(words)} words but {table.shape[0]} vector rows")
    keys = [strings.add(word) for word in words]
    return Vectors(strings=strings, data=table, keys=keys)


def word_log_probs() -> dict[str, float]:
    """Log frequency of English words (spaCy's lexeme table in spacy-lookups-data)."""
    from importlib.resources import files

    data = files("spacy_lookups_data") / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(str(data), "rt", encoding="utf-8") as fh:
        table: dict[str, float] = json.load(fh)
    return table


def vocabulary(
    log_probs: dict[str, float], extra: Iterable[str], *, common: int = COMMON_WORDS
) -> list[str]:
    """The `common` most frequent lower-case words, then any word of `extra` not among them."""
    ranked = sorted(log_probs.items(), key=lambda kv: (-kv[1], kv[0]))
    words = [w for w, _ in ranked if _WORD.fullmatch(w)][:common]
    seen = set(words)
    for word in extra:
        if _WORD.fullmatch(word) and word not in seen:
            seen.add(word)
            words.append(word)
    return words


def build_table(
    words: Sequence[str],
    encode: Callable[[list[str]], Any],
    log_probs: dict[str, float],
    *,
    dims: int = 256,
    sif: float = SIF,
    min_weight: float = MIN_WEIGHT,
) -> tuple[list[str], NDArray[np.float16]]:
    """The kept words and one row each: the embedding, PCA-reduced to `dims`, scaled by
    w = sif / (sif + p). Words with w < `min_weight` are left out: at 0.2 that is 23 words
    ("the", "to", "and", ...), which are 30% of the known words of real complaints and so 30%
    of the classifier's summing work, for rows already scaled almost to nothing."""
    from sklearn.decomposition import PCA

    raw = np.asarray(encode(list(words)), dtype=np.float64)
    reduced = PCA(n_components=dims, random_state=0).fit_transform(raw)
    weight = sif / (sif + np.exp(np.array([log_probs.get(w, -30.0) for w in words])))
    keep = weight >= min_weight
    table = (reduced * weight[:, None])[keep].astype(np.float16)
    return [w for w, k in zip(words, keep, strict=True) if k], table


def save_table(path: Path, words: Sequence[str], table: Any, meta: dict[str, Any]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    np.save(path / TABLE_FILE, table)
    (path / WORDS_FILE).write_text("\n".join(words), encoding="utf-8")
    meta = {**meta, "words": len(words), "dims": int(table.shape[1])}
    (path / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")


def main(argv: Sequence[str] | None = None) -> None:
    """`make vectors MODEL=DIR`: rebuild the shipped table from a local sentence transformer."""
    import spacy

    from rootcause.classify.data import read_dir
    from rootcause.classify.text import model_text
    from rootcause.resources import training_dir
    from rootcause.taxonomy import load_taxonomy

    parser = argparse.ArgumentParser(prog="python -m rootcause.classify.vectors")
    parser.add_argument("--model", type=Path, required=True, help="sentence-transformer folder")
    parser.add_argument("--out", type=Path, default=VECTORS_DIR)
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--source", help="what to record as the model's name (default: --model)")
    args = parser.parse_args(argv)
    try:
        from sentence_transformers import (  # type: ignore[import-not-found,unused-ignore]
            SentenceTransformer,
        )
    except ImportError:
        raise SystemExit(
            "make vectors needs the extra: pip install 'rootcause[transformers]'"
        ) from None
    if not args.model.is_dir():
        raise SystemExit(f"{args.model}: no such model directory")
    model = SentenceTransformer(str(args.model), device="cpu", local_files_only=True)
    taxonomy = load_taxonomy()
    nlp = spacy.blank("en")
    team_words = sorted(
        {
            tok.lower_
            for ex in read_dir(training_dir(), taxonomy.cause_names)
            for tok in nlp.make_doc(model_text(ex.text))
            if tok.is_alpha
        }
    )
    log_probs = word_log_probs()
    words = vocabulary(log_probs, team_words)

    def encode(batch: list[str]) -> Any:
        return model.encode(batch, batch_size=256, show_progress_bar=False)

    words, table = build_table(words, encode, log_probs, dims=args.dims)
    source = {"model": args.source or str(args.model), "sif": SIF, "min_weight": MIN_WEIGHT}
    save_table(args.out, words, table, source)
    print(f"{args.out}: {len(words)} words x {table.shape[1]} dims")


if __name__ == "__main__":
    main()
