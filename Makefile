# The two set-up commands: `make demo` (the main job) and `make test` (the test suite).
# Each creates .venv on first use and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Real MNIST from the project's shared copy when it is there (see README, "Data").
export NEURONAL_DATA ?= $(abspath ../shared/data)

.PHONY: demo test lint bench clean

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[plot,image,sklearn]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-run
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed-run
	$(VENV)/bin/neuronal train mnist --shape 784x16x10 --hidden sigmoid --epochs 10 \
		--batch-size 32 --optimizer sgd --learning-rate 0.5 --schedule cosine --seed 0 \
		--out outputs/mnist-784x16x10.safetensors --plots outputs

test: $(VENV)/.installed-test
	$(PY) -m pytest -q

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests examples benchmarks

bench: $(VENV)/.installed-test
	$(PY) benchmarks/bench_mlp.py

clean:
	rm -rf $(VENV) outputs .pytest_cache
