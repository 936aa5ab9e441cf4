# Tern Studio: `make run` opens the studio on the demo project, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# The CPU wheel of torch: an unpinned torch pulls gigabytes of CUDA packages.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test test-slow lint bench screenshots clean setup

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { echo "Tern Studio needs Python 3.10 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH)"
	@# (PYTHONWARNINGS: setuptools lectures about data folders of tern_resources, which ship as intended)
	PYTHONWARNINGS=ignore $(PIP) install -q -e ".[test]"
	@touch $(STAMP)

run: $(STAMP)
	@$(PY) -m app.check_system || exit 1
	$(PY) -m app

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not slow" -q

test-slow: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m slow -q

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) bench/bench_store.py

# needs xvfb-run (apt-get install xvfb) where there is no display
screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) packaging/screenshots.py --out shots --readme docs/screenshot.png

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
