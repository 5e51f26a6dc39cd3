# The two front-door commands:
#   make serve   set up, build the index if missing or stale, serve on http://127.0.0.1:8000
#   make test    set up, then lint, type-check and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser index serve test lint eval bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# the CPU build of torch that lies on disk; plain `torch` would pull a CUDA build
	$(BIN)/pip install --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the web-page tests (Playwright drives it; no browser download)
browser:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

index: install
	$(BIN)/assistant index

serve: index
	$(BIN)/assistant serve

lint: install
	$(BIN)/ruff check assistant tests evals benchmarks training
	$(BIN)/ruff format --check assistant tests evals benchmarks training
	$(BIN)/mypy assistant

test: lint browser
	$(BIN)/pytest

clean:
	rm -rf $(VENV) index/CURRENT index/builds reports
