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
	$(PY) -m ruff format --check .
	$(PY) -m pytest -q tests

test-fast: setup
	$(PY) -m pytest -q -x -m "not slow" tests

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The smoke run shows the machinery end to end (6 runs x 200 steps: nothing is learned yet); the committed store
# of the replication grid (results/replication_cpu/store, 36 runs x 3,000 steps, no checkpoints) shows what a
# learned study's report looks like, built from its Parquet files alone (under a minute).
REPLICATION_STORE := results/replication_cpu/store

demo: setup
	$(PY) -m sweep run sweep=smoke out=demo_out
	$(PY) -m sweep report out=demo_out
	@if [ -d $(REPLICATION_STORE)/runs ]; then \
	  $(PY) -m analysis $(REPLICATION_STORE) demo_out/replication_report > demo_out/replication_report.log; \
	fi
	@echo
	@echo "demo_out/report/index.html: the smoke run you just trained (6 runs x 200 steps, 1 seed): the machinery end to end, not results"
	@if [ -d $(REPLICATION_STORE)/runs ]; then \
	  echo "demo_out/replication_report/index.html: the committed store of conf/sweep/replication_cpu.yaml (36 runs x 3,000 steps, 2 seeds; its header says what it holds): learned models, what the study's report looks like"; \
	fi

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
