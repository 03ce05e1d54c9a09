# The README's two commands: `make demo` (bench demo: the whole pipeline on toy data) and `make test` (the tests).
# Both run ./setup.sh first, which is a no-op (seconds) when .venv/ is already up to date.
# `make lock` re-resolves requirements.in into requirements.lock (exact versions + sha256); commit both, then
# `make setup` installs the new lock.
.PHONY: setup demo test test-all lock

UV_COMPILE = .venv/bin/uv pip compile requirements.in --override requirements-overrides.txt --generate-hashes \
	--python-version 3.11 --python-platform x86_64-manylinux_2_28 --index-url https://pypi.org/simple \
	--custom-compile-command "make lock"

setup:
	./setup.sh

demo: setup
	.venv/bin/bench doctor
	.venv/bin/bench demo

# two workers, one per core; a test file stays on one worker (its module fixtures, e.g. the private Slurm, once)
test: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile

test-all: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile -m ""

lock: setup
	$(UV_COMPILE) -o requirements.lock
	$(subst requirements.in,requirements-cuda-build.in -c requirements.lock,$(UV_COMPILE)) -o requirements-cuda-build.lock
