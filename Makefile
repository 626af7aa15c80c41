# Front door. `make` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## venv: create .venv and install the project with its declared dependencies
venv: $(STAMP)

## run: build data/processed/ (warehouse, CSVs, figures, notebooks) from data/raw/
run: $(STAMP)
	$(PY) -m pipeline run

## test: lint, then the test suite
test: $(STAMP)
	$(PY) -m ruff check pipeline tests notebooks
	$(PY) -m pytest -q

## notebooks: redraw the charts and re-execute the notebooks on the current warehouse (no rebuild)
notebooks: $(STAMP)
	$(PY) -m pipeline notebooks

## lab: open the notebooks in JupyterLab (right-click a notebooks/*.py file, Open With > Jupytext Notebook)
lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

## evaluate: score extraction against the labelled dev set in tests/gold
evaluate: $(STAMP)
	$(PY) -m pipeline evaluate --gold tests/gold

## bench: time the pipeline on a synthetic corpus built from data/raw
bench: $(STAMP)
	$(PY) -m pipeline bench --reports 1000

## lint: ruff format check and lint
lint: $(STAMP)
	$(PY) -m ruff format --check pipeline tests notebooks
	$(PY) -m ruff check pipeline tests notebooks

## format: apply ruff's formatter and import sorting
format: $(STAMP)
	$(PY) -m ruff check --fix pipeline tests notebooks
	$(PY) -m ruff format pipeline tests notebooks

## clean: delete everything under data/processed (it is rebuilt by make run)
clean:
	rm -rf data/processed/*
	touch data/processed/.gitkeep

## help: list targets
help:
	@grep -E '^## ' Makefile | sed 's/^## /  /'

.PHONY: venv run test notebooks lab evaluate bench lint format clean help
