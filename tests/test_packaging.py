"""LM Lab as a package: it installs with pip, the core imports with no UI framework, the
`lmlab` command runs, logging is set up once, and the README names every setting."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = [ROOT / "app.py", ROOT / "gradio_app.py", *ROOT.glob("lmlab/**/*.py"),
        *ROOT.glob("components/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("lmlab_gradio/*.py")]


def test_editable_install_in_a_fresh_venv_gives_the_package_and_the_command(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # No dependencies and no index: this checks pyproject.toml itself (layout, entry point).
    # The build backend is this environment's setuptools (a fresh venv's may be too old to
    # build wheels), lent through PYTHONPATH with nothing else from this environment.
    import setuptools

    lent = tmp_path / "build-backend"
    lent.mkdir()
    for package in ("setuptools", "_distutils_hack", "pkg_resources"):
        source = Path(setuptools.__file__).parent.parent / package
        if source.exists():
            (lent / package).symlink_to(source)
    env = dict(os.environ, PYTHONPATH=str(lent))
    done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                           "--no-build-isolation", "--no-index", "-e", str(ROOT)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (venv / "bin" / "lmlab").is_file()
    code = ("import sys, lmlab, lmlab.logs, lmlab.errors; "
            "heavy = {'torch', 'streamlit', 'gradio', 'transformers'} & set(sys.modules); "
            "print(lmlab.__file__, sorted(heavy))")
    done = subprocess.run([str(python), "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    where, heavy = done.stdout.split(" ", 1)
    assert Path(where).resolve() == ROOT / "lmlab" / "__init__.py" and heavy.strip() == "[]"


BLOCK_UI = """
import importlib.abc, pkgutil, sys
class NoUI(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("streamlit", "gradio", "gradio_client"):
            raise ImportError(f"{name} is not installed")
sys.meta_path.insert(0, NoUI())
import lmlab
for module in pkgutil.walk_packages(lmlab.__path__, "lmlab."):
    __import__(module.name)
print("ok", len(sys.modules))
"""


def test_every_core_module_imports_with_no_ui_framework_installed():
    done = subprocess.run([sys.executable, "-c", BLOCK_UI], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok")


def test_pyproject_names_python_extras_and_the_command():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["lmlab"] == "lmlab.cli:main"
    extras = project["optional-dependencies"]
    assert {"app", "gradio", "test", "mcp"} <= set(extras)
    assert not any(d.startswith(("streamlit", "gradio")) for d in project["dependencies"])
    # Every direct dependency is pinned, and the lock agrees with each pin.
    lock = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    for requirement in project["dependencies"] + extras["app"] + extras["gradio"]:
        name, version = re.split(r"\[.*\]|==", requirement)[0], requirement.split("==")[1]
        assert "==" in requirement, requirement
        assert lock[name.lower()] == version, requirement


def test_doctor_reports_device_dtype_models_and_cache(tmp_path):
    env = dict(os.environ, HF_HUB_OFFLINE="1", LMLAB_CACHE=str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "weights.bin").write_bytes(b"x" * 2048)
    done = subprocess.run([sys.executable, "-m", "lmlab.cli", "doctor"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"^Device: (cpu|cuda|mps)", out, re.M)
    assert re.search(r"^dtype: \w+ for generation, float32 for inspection", out, re.M)
    assert re.search(r"HuggingFaceTB/SmolLM2-135M-Instruct\s+causal-lm\s+embedded", out)
    assert "off (HF_HUB_OFFLINE" in out
    assert f"Cache {tmp_path / 'cache'}: 2.0 KB" in out


def test_the_command_explains_a_missing_app_extra(monkeypatch):
    from lmlab import cli

    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit, match=r'pip install -e "\.\[app\]"'):
        cli.main(["run"])


def test_logging_is_set_up_once_with_the_level_from_the_environment(monkeypatch):
    from lmlab import logs

    logger = logging.getLogger("lmlab")
    before = list(logger.handlers)
    try:
        monkeypatch.setenv("LMLAB_LOG_LEVEL", "debug")
        logs.setup_logging()
        logs.setup_logging()
        mine = [h for h in logger.handlers if h.get_name() == "lmlab-console"]
        assert len(mine) == 1 and logger.level == logging.DEBUG
        assert mine[0].formatter._fmt == logs.FORMAT
        monkeypatch.setenv("LMLAB_LOG_LEVEL", "loud")
        with pytest.raises(ValueError, match="LMLAB_LOG_LEVEL must be one of"):
            logs.setup_logging()
    finally:
        logger.handlers[:] = before
        logger.setLevel(logging.NOTSET)
        logger.propagate = True


def test_readme_documents_every_setting_the_code_reads():
    readme = (ROOT / "README.md").read_text()
    read = set()
    for path in CODE:
        read |= set(re.findall(r"\b(LMLAB_[A-Z0-9_]+)\b", path.read_text(encoding="utf-8")))
    assert read, "no LMLAB_ settings found: the search is broken"
    missing = sorted(name for name in read if name not in readme)
    assert not missing, f"README.md does not mention {missing}"
