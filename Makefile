# Each target sets itself up from nothing in .venv (see scripts/setup.sh).
SHELL := /bin/bash
BIN := .venv/bin
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False

.PHONY: install install-dev run index test test-fast bench load faults attack clean

.venv/.installed: pyproject.toml scripts/setup.sh
	scripts/setup.sh
	touch $@

.venv/.installed-dev: pyproject.toml scripts/setup.sh
	scripts/setup.sh --dev
	touch .venv/.installed $@

install: .venv/.installed
install-dev: .venv/.installed-dev

## run: install, prepare the local model, bring the index up to date (a no-op in a second when it is;
##      rebuilt when missing or built by an older version), open the web page
run: install
	$(BIN)/tutor model prepare
	$(BIN)/tutor index
	$(BIN)/tutor users bootstrap
	$(BIN)/python app.py

index: install
	$(BIN)/tutor index

## test: the whole suite, slow real-LLM tests included (what CI runs)
test: install-dev
	$(BIN)/python -m pytest

test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow"

## bench: quality and speed against baselines in the same run, on both corpora' test parts
## (AGENT_QUESTIONS per corpus for the local-LLM agent suite; BENCH_ARGS="retrieval --llm extractive" etc.)
AGENT_QUESTIONS ?= 40
bench: install-dev
	$(BIN)/python -m benchmarks --agent-questions $(AGENT_QUESTIONS) $(BENCH_ARGS)

## load: 50 concurrent learners x 4 turns against a private app (extractive); table + data-loss check
## (options: make load LOAD_ARGS="--learners 5 --turns 1 --llm local")
load: install-dev
	$(BIN)/python scripts/load.py $(LOAD_ARGS)

## faults: re-index under load, kill -9 indexer / app, LLM and Chroma servers going away
faults: install-dev
	$(BIN)/python scripts/faults.py $(FAULTS_ARGS)

## attack: sign-in brute force, stolen sessions, uploads without rights, planted instructions; table, all blocked
## (options: make attack ATTACK_ARGS="--database-url postgresql://...")
attack: install-dev
	$(BIN)/python scripts/attack.py $(ATTACK_ARGS)

clean:
	rm -rf index data test-output benchmarks/results
