"""Embedding stage: turn complaint texts into unit vectors, offline by default.

Two embedders share one small protocol (`id`, `embed`):

* `TfidfSvdEmbedder` (the default, `themes.embedding = "tfidf-svd"`): scikit-learn's
  TfidfVectorizer -> TruncatedSVD -> Normalizer, the "lite" BERTopic embedding. It needs no
  download and no PyTorch, but it must be *fitted*, and vectors from two fits are not comparable.
* `SentenceTransformerEmbedder` (`"sentence-transformers"`): a model directory you already have
  (`themes.embedding_model_path`); the library is imported only when chosen.

Why the TF-IDF embedder is fitted once and kept (the cache design): cached vectors are only
valid for the exact embedder that produced them, so the fitted state (vocabulary, idf, SVD
components, stop words) is stored in the database (`EmbedderState`) and its content hash is the
embedder id that keys the `Embedding` rows. A weekly run reuses it and embeds only complaints it
has no vector for. It is refitted on the current window only when asked, when it was fitted on
data that has left the window entirely, or when its vocabulary is stale: more than
`themes.embedder_max_unknown` of the recurring content words in the not-yet-embedded complaints
are missing from it (`unknown_share`), which is what a genuinely new kind of complaint looks like.
Refitting changes the id, so every vector is recomputed once under the new one.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from rootcause.errors import ConfigError
from rootcause.themes.text import (
    TOKEN_PATTERN,
    Preprocessor,
    boilerplate_sentences,
    proper_nouns,
    stop_words_for,
    tokens,
)

FloatArray = NDArray[np.float32]
TFIDF_SVD = "tfidf-svd"
SENTENCE_TRANSFORMERS = "sentence-transformers"


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 rows; `id` names its vector space."""

    @property
    def id(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> FloatArray: ...


def _unit_rows(matrix: Any) -> FloatArray:
    vectors = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    out: FloatArray = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
    return out


@dataclass(frozen=True, eq=False)
class TfidfSvdEmbedder:
    """A fitted TF-IDF + SVD embedder, rebuilt from (and saved to) plain arrays."""

    vocabulary: tuple[str, ...]
    idf: NDArray[np.float64]
    components: FloatArray
    stop_words: frozenset[str]
    boilerplate: frozenset[str]
    params: dict[str, Any]
    _pipeline: Any = field(default=None, init=False, repr=False)

    @property
    def id(self) -> str:
        digest = hashlib.sha256()
        digest.update("\n".join(self.vocabulary).encode())
        digest.update(np.ascontiguousarray(self.idf).tobytes())
        digest.update(np.ascontiguousarray(self.components).tobytes())
        digest.update("\n".join(sorted(self.boilerplate)).encode())
        digest.update(json.dumps(self.params, sort_keys=True).encode())
        return f"{TFIDF_SVD}-{digest.hexdigest()[:16]}"

    @property
    def dims(self) -> int:
        return int(self.components.shape[0])

    def pipeline(self) -> Any:
        """The fitted scikit-learn pipeline (what BERTopic's SklearnEmbedder wraps)."""
        if self._pipeline is None:
            from sklearn.decomposition import TruncatedSVD
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import Normalizer

            vectorizer = TfidfVectorizer(
                vocabulary=list(self.vocabulary),
                preprocessor=Preprocessor(self.boilerplate),
                token_pattern=TOKEN_PATTERN,
                sublinear_tf=True,
                dtype=np.float64,
            )
            vectorizer.idf_ = self.idf
            svd = TruncatedSVD(n_components=self.dims)
            svd.components_ = self.components.astype(np.float64)
            svd.n_features_in_ = len(self.vocabulary)
            object.__setattr__(self, "_pipeline", make_pipeline(vectorizer, svd, Normalizer()))
        return self._pipeline

    def embed(self, texts: Sequence[str]) -> FloatArray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        return _unit_rows(self.pipeline().transform(list(texts)))

    def unknown_share(self, texts: Sequence[str]) -> float:
        """Share of recurring content words in `texts` that the vocabulary lacks.

        Only words found in at least two of the texts count (a typo is not a new topic), and
        stop words and names are ignored, so the share measures new *subject matter*.
        """
        names = proper_nouns(texts)
        preprocess = Preprocessor(self.boilerplate)
        document_frequency: Counter[str] = Counter()
        occurrences: Counter[str] = Counter()
        for text in texts:
            words = [
                w for w in tokens(preprocess(text)) if w not in self.stop_words and w not in names
            ]
            occurrences.update(words)
            document_frequency.update(set(words))
        known = set(self.vocabulary)
        recurring = {w: n for w, n in occurrences.items() if document_frequency[w] >= 2}
        total = sum(recurring.values())
        if total == 0:
            return 0.0
        return sum(n for w, n in recurring.items() if w not in known) / total

    def to_bytes(self) -> bytes:
        """The fitted state as an .npz archive (no pickle: loads in any environment)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            vocabulary=np.array(self.vocabulary, dtype=np.str_),
            idf=self.idf,
            components=self.components,
            stop_words=np.array(sorted(self.stop_words), dtype=np.str_),
            boilerplate=np.array(sorted(self.boilerplate), dtype=np.str_),
            params=np.array([json.dumps(self.params, sort_keys=True)], dtype=np.str_),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TfidfSvdEmbedder:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(
                vocabulary=tuple(str(w) for w in arrays["vocabulary"]),
                idf=arrays["idf"].astype(np.float64),
                components=arrays["components"].astype(np.float32),
                stop_words=frozenset(str(w) for w in arrays["stop_words"]),
                boilerplate=frozenset(str(w) for w in arrays["boilerplate"]),
                params=json.loads(str(arrays["params"][0])),
            )


def tfidf_svd_params(
    *, dims: int, seed: int, extra_stop_words: Iterable[str] = ()
) -> dict[str, Any]:
    """The settings a stored TF-IDF embedder must share with the current ones to be reused."""
    return {
        "dims": dims,
        "seed": seed,
        "min_df": 2,
        "max_df": 0.5,
        "max_features": 50_000,
        "fit_sample": EMBEDDER_FIT_SAMPLE,
        "extra_stop_words": sorted({w.lower() for w in extra_stop_words}),
    }


# The vocabulary, IDF and SVD settle long before this many distinct complaints; fitting on a
# million would take minutes and most of the memory budget for no better vectors.
EMBEDDER_FIT_SAMPLE = 50_000


def sample_rows(n: int, limit: int, seed: int) -> NDArray[np.int64] | None:
    """Sorted rows of a seeded uniform sample of `limit` out of `n`, or None when all fit."""
    if n <= limit:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=limit, replace=False)).astype(np.int64)


T = TypeVar("T")


def seeded_sample(items: Sequence[T], limit: int, seed: int) -> list[T]:
    """At most `limit` of `items`, the same ones for the same input and seed, in input order."""
    keep = sample_rows(len(items), limit, seed)
    return list(items) if keep is None else [items[i] for i in keep]


def fit_tfidf_svd(texts: Sequence[str], params: dict[str, Any]) -> TfidfSvdEmbedder:
    """Fit TF-IDF (sublinear tf, domain stop words) and SVD on `texts`; deterministic for a seed.

    Identical texts are fitted once, so duplicates neither skew the vocabulary nor the SVD;
    sentences repeated across many complaints (templates, stock phrases) are left out. Past
    `fit_sample` distinct texts, a seeded sample of them is fitted on.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    unique = seeded_sample(sorted(set(texts)), params.get("fit_sample", len(texts)), params["seed"])
    stop = stop_words_for(unique, params["extra_stop_words"])
    boilerplate = boilerplate_sentences(unique)
    min_df = params["min_df"] if len(unique) >= 20 else 1
    vectorizer = TfidfVectorizer(
        preprocessor=Preprocessor(boilerplate),
        token_pattern=TOKEN_PATTERN,
        stop_words=sorted(stop),
        sublinear_tf=True,
        min_df=min_df,
        max_df=params["max_df"] if len(unique) >= 20 else 1.0,
        max_features=params["max_features"],
        dtype=np.float64,
    )
    try:
        matrix = vectorizer.fit_transform(unique)
    except ValueError:  # nothing but stop words
        raise ConfigError("themes: the complaints in the window have no usable words") from None
    n_features = matrix.shape[1]
    dims = max(1, min(params["dims"], n_features - 1, len(unique) - 1))
    svd = TruncatedSVD(n_components=dims, random_state=params["seed"], algorithm="randomized")
    svd.fit(matrix)
    return TfidfSvdEmbedder(
        vocabulary=tuple(str(w) for w in vectorizer.get_feature_names_out()),
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        components=np.asarray(svd.components_, dtype=np.float32),
        stop_words=stop,
        boilerplate=boilerplate,
        params=dict(params),
    )


@dataclass(frozen=True, eq=False)
class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local directory (never from a hub)."""

    path: Path
    model: Any

    @property
    def id(self) -> str:
        digest = hashlib.sha256(self.path.name.encode())
        for name in ("config.json", "modules.json", "config_sentence_transformers.json"):
            part = self.path / name
            if part.is_file():
                digest.update(part.read_bytes())
        return f"st-{digest.hexdigest()[:16]}"

    def embed(self, texts: Sequence[str]) -> FloatArray:
        vectors = self.model.encode(
            list(texts), normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return _unit_rows(vectors)


def load_sentence_transformer(path: Path | None) -> SentenceTransformerEmbedder:
    """Load a local model; a clear ConfigError when the extra or the model is missing."""
    if path is None:
        raise ConfigError(
            "themes.embedding is 'sentence-transformers' but themes.embedding_model_path is not "
            "set: point it at a local model directory"
        )
    if not path.is_dir():
        raise ConfigError(f"themes.embedding_model_path: {path}: no such model directory")
    try:
        from sentence_transformers import (  # type: ignore[import-not-found,unused-ignore]
            SentenceTransformer,
        )
    except ImportError:
        raise ConfigError(
            "themes.embedding is 'sentence-transformers' but the package is not installed: "
            "pip install 'rootcause[transformers]', or set themes.embedding = 'tfidf-svd'"
        ) from None
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    return SentenceTransformerEmbedder(path=path, model=model)


def as_bertopic_backend(embedder: Embedder) -> Any:
    """The embedder as the object BERTopic takes for `embedding_model`."""
    if isinstance(embedder, TfidfSvdEmbedder):
        from bertopic.backend._sklearn import SklearnEmbedder

        return SklearnEmbedder(embedder.pipeline())
    if isinstance(embedder, SentenceTransformerEmbedder):
        from bertopic.backend._sentencetransformers import SentenceTransformerBackend

        return SentenceTransformerBackend(embedder.model)
    raise TypeError(f"no BERTopic backend for {type(embedder).__name__}")


def to_bytes(vector: FloatArray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> FloatArray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)
