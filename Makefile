PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test bench demo clean fuzz soak

$(STAMP): pyproject.toml setup.py recorder/client/_speedups.c
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

demo: $(STAMP)
	$(BIN)/python -m recorder.demo

fuzz: $(STAMP)
	FUZZ_PROFILE=fuzz-long $(BIN)/python -m pytest -q tests/fuzz $(PYTEST_ARGS)

SOAK_SECONDS ?= 180
soak: $(STAMP)
	SOAK_DB=sqlite SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python -m bench.soak
	SOAK_DB=postgresql SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) build *.egg-info
