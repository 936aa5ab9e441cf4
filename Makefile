# Tern Studio: `make run` opens the studio on the demo project, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# The CPU wheel of torch: an unpinned torch pulls gigabytes of CUDA packages.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test test-slow lint bench screenshots clean setup package package-test install-desktop-entry wheel-test

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

# The double-click app (packaging/: one PyInstaller spec; FLAVOUR=cuda needs a CUDA torch in the venv).
# Builds run under nice: they take every core for a few minutes.
FLAVOUR ?= cpu
NICE    ?= nice -n 10
BUNDLE  := dist/$(FLAVOUR)/tern-studio
PACKAGE_STAMP := $(VENV)/.installed-package

$(PACKAGE_STAMP): $(STAMP)
	PYTHONWARNINGS=ignore $(PIP) install -q -e ".[test,package]"
	@touch $(PACKAGE_STAMP)

# dist/<flavour>/tern-studio/: the tern-studio executable, desktop entry, icons, install-desktop-entry.sh
package: $(PACKAGE_STAMP)
	$(NICE) $(PY) packaging/package.py build --flavour $(FLAVOUR)

# build, then the smoke test from the bundle (offscreen); prints build time, bundle size, result
package-test: $(PACKAGE_STAMP)
	$(NICE) $(PY) packaging/package.py test --flavour $(FLAVOUR)

# the built bundle into the applications menu (~/.local/share/applications, icons, .tern file type)
install-desktop-entry:
	@test -x $(BUNDLE)/tern-studio || $(MAKE) package FLAVOUR=$(FLAVOUR)
	sh $(BUNDLE)/install-desktop-entry.sh

# wheel + sdist, a fresh venv in /tmp with torch then the wheel: `tern --help` and the smoke test
wheel-test: $(PACKAGE_STAMP)
	$(NICE) $(PY) packaging/package.py wheel-test

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
