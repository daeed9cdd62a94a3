# One command to start the dashboard, one to run every test; both create the virtual environment.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test bench lint

$(VENV)/.runtime: requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt requirements-spark.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt -r requirements-spark.txt
	touch $@

# Listens on 127.0.0.1 (this machine only) unless PULSE_HOST, or Streamlit's own server.address, says otherwise.
run: $(VENV)/.runtime
	$(PY) -m pulse.ui.serve --server.port $(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest -q

lint: $(VENV)/.dev
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: $(VENV)/.dev
	$(PY) bench/run.py
