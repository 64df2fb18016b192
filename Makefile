# `make demo` and `make test` each create .venv at the repository root when it is
# missing and install the package with what that target needs.
#
# torch and torchvision are pinned here to the builds this project's machines
# keep on disk (pip installs them without downloading); the package itself
# declares open ranges (torch>=2.2). Override for another platform, e.g.
#   make test TORCH_SPEC="torch torchvision"

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
PIP := $(PY) -m pip install --disable-pip-version-check --progress-bar off

.PHONY: demo test docs docs-check bench bench-deep venv clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.torch: | $(PY)
	$(PIP) $(TORCH_SPEC)
	touch $@

$(VENV)/.installed-%: pyproject.toml $(VENV)/.torch
	$(PIP) -e ".[$*]"
	touch $@

venv: $(VENV)/.installed-test

demo: $(VENV)/.installed-demo
	$(PY) examples/demo_digits.py

test: $(VENV)/.installed-test
	$(PY) -m pytest

# the documentation site (Sphinx, warnings are errors; the gallery runs the
# examples/plot_*.py scripts on the CPU, a few minutes)
docs: $(VENV)/.installed-docs
	OMP_NUM_THREADS=1 $(PY) -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "site: docs/_build/html/index.html"

# the build, then the index, an API page and a gallery page in headless Chromium
docs-check: docs
	$(PY) docs/check_site.py docs/_build/html

bench: $(VENV)/.installed-bench
	$(PY) -m pip install --disable-pip-version-check -q --no-deps fuzzy-c-means \
		&& $(PY) -m pip install --disable-pip-version-check -q pydantic "typer<0.10" tabulate \
		|| echo "fuzzy-c-means could not be installed: the benchmark skips it"
	$(PY) benchmarks/bench_classical.py

bench-deep: $(VENV)/.installed-bench
	$(PY) benchmarks/bench_deep.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/generated docs/auto_examples
