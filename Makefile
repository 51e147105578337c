# LM Lab: `make run` serves the app on its embedded offline models; `make test` runs every test.
# `make run` installs what running needs; `make test` adds the test tools (scripts/setup.sh).
.PHONY: run test gradio bench setup setup-test browser doctor lock

setup:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test

browser: setup-test
	bash scripts/install-browser.sh

run: setup
	.venv/bin/lmlab run

gradio: setup
	.venv/bin/lmlab gradio

doctor: setup
	.venv/bin/lmlab doctor

test: setup-test browser
	.venv/bin/python -m pytest

bench: setup
	for f in bench/bench_*.py; do .venv/bin/python $$f || exit 1; done

# After changing pyproject.toml and installing: pin what is installed.
lock:
	.venv/bin/python scripts/lock.py
