# disentanglement-sweep: every entry point a user needs. `make setup` is idempotent and every target depends on it.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
OUT    ?= out
export JAX_PLATFORMS ?=
export PYTHONUNBUFFERED := 1

.PHONY: setup test test-fast lint demo sweep report bench lock clean

$(VENV)/.installed: requirements.lock requirements-oracle.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -r requirements-oracle.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

setup: $(VENV)/.installed

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q tests

test-fast: setup
	$(PY) -m pytest -q -x -m "not slow" tests

lint: setup
	$(PY) -m ruff check .

demo: setup
	$(PY) -m sweep run sweep=smoke out=demo_out
	$(PY) -m sweep report out=demo_out
	@echo "Results store: demo_out/store   Report: demo_out/report/index.html"

sweep: setup
	$(PY) -m sweep run sweep=locatello2019 out=$(OUT)

report: setup
	$(PY) -m sweep report out=$(OUT)

bench: setup
	$(PY) bench/datasets.py
	$(PY) bench/train.py
	$(PY) bench/products.py
	$(PY) bench/evaluate.py
	$(PY) bench/sweep_machinery.py
	$(PY) bench/thread_pools.py
	$(PY) bench/aggregate.py

# Re-resolve the pinned environment (runtime + test extras) from pyproject.toml.
lock:
	rm -rf /tmp/ds-lock && $(PYTHON) -m venv /tmp/ds-lock
	/tmp/ds-lock/bin/pip install -q --upgrade pip
	/tmp/ds-lock/bin/pip install -q ".[test]"
	/tmp/ds-lock/bin/pip freeze --exclude disentanglement-sweep | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) demo_out .pytest_cache
