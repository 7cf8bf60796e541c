# rootcause: every target is one line; `make report` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEEK ?=
BERTOPIC := bertopic==0.17.4

.PHONY: setup report test lint typecheck bench train vectors clean

setup: $(STAMP)

# BERTopic goes in with --no-deps: its metadata requires sentence-transformers, i.e. PyTorch + CUDA.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q --upgrade pip && $(BIN)/pip install -q -e '.[dev]' && $(BIN)/pip install -q --no-deps $(BERTOPIC) && touch $@

report: setup
	$(BIN)/rootcause run --demo-if-empty $(if $(WEEK),--week $(WEEK))

test: setup
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check src tests bench && $(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench

train: setup
	$(BIN)/rootcause train

# The classifier's word vectors, from a sentence-transformer folder on disk (needs the extra:
# pip install -e '.[transformers]'); run `make train` after, since the model reads the table.
vectors: setup
	$(BIN)/python -m rootcause.classify.vectors --model $(MODEL)

clean:
	rm -rf $(VENV) reports/out .pytest_cache .mypy_cache .ruff_cache rootcause.db rootcause.db-wal rootcause.db-shm
