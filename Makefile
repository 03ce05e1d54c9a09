# The README's two commands: `make demo` (bench demo: the whole pipeline on toy data) and `make test` (the tests).
# Both run ./setup.sh first, which is a no-op (seconds) when .venv/ is already up to date.
.PHONY: setup demo test test-all

setup:
	./setup.sh

demo: setup
	.venv/bin/bench doctor
	.venv/bin/bench demo

test: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider

test-all: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider -m ""
