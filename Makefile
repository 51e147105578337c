# LM Lab: `make run` serves the app on its embedded offline models; `make test` runs every test.
.PHONY: run test gradio bench setup browser

setup:
	bash scripts/setup.sh

browser:
	bash scripts/install-browser.sh

run: setup
	.venv/bin/python -m streamlit run app.py

gradio: setup
	.venv/bin/python gradio_app.py

test: setup browser
	.venv/bin/python -m pytest

bench: setup
	for f in bench/bench_*.py; do .venv/bin/python $$f || exit 1; done
