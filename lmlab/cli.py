"""The `lmlab` command: run either app, or check what this machine offers.

    lmlab run [streamlit options]   the Streamlit app (app.py in the checkout)
    lmlab gradio [--port N] [--share] [--mcp/--no-mcp]   the Gradio app and its API
    lmlab doctor                    device, dtype, models (embedded or Hub), cache size

The apps live beside the package in the checkout (app.py, pages/, gradio_app.py),
which an editable install (`pip install -e .`) keeps in place.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _need(module: str, extra: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise SystemExit(f"{module} is not installed; install it with "
                         f"`pip install -e \".[{extra}]\"` (or `make run`).")


def _app_file(name: str) -> Path:
    path = ROOT / name
    if not path.is_file():
        raise SystemExit(f"{name} is not beside the lmlab package ({ROOT}); the apps run from "
                         "a checkout installed with `pip install -e .`.")
    return path


def run_streamlit(options: list[str]) -> int:
    _need("streamlit", "app")
    command = [sys.executable, "-m", "streamlit", "run", str(_app_file("app.py")), *options]
    return subprocess.call(command, cwd=ROOT)


def run_gradio(args: argparse.Namespace) -> int:
    _need("gradio", "gradio")
    env = dict(os.environ)
    if args.port:
        env["GRADIO_SERVER_PORT"] = str(args.port)
    if args.share:
        env["GRADIO_SHARE"] = "True"
    if args.mcp is not None:
        env["GRADIO_MCP_SERVER"] = str(args.mcp)
    return subprocess.call([sys.executable, str(_app_file("gradio_app.py"))], cwd=ROOT, env=env)


def folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def doctor_lines() -> list[str]:
    """What `lmlab doctor` prints: everything needed to tell why a model does not load."""
    import torch

    from lmlab import registry, sources
    from lmlab.device import choose_device, choose_dtype, describe_device

    device = choose_device()
    lines = [f"Python {sys.version.split()[0]} · torch {torch.__version__} · "
             f"CUDA build: {torch.version.cuda or 'none (CPU wheel)'}",
             f"Device: {device} ({describe_device(device)})",
             f"dtype: {str(choose_dtype(device)).removeprefix('torch.')} for generation, "
             f"{str(choose_dtype(device, 'inspect')).removeprefix('torch.')} for inspection views"]
    fronts = {name: importlib.util.find_spec(module) is not None
              for name, module in (("Streamlit", "streamlit"), ("Gradio", "gradio"),
                                   ("MCP server", "mcp"), ("ZeroGPU", "spaces"))}
    lines.append("Installed: " + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in fronts.items()))
    if sources.offline_forced():
        hub = "off (HF_HUB_OFFLINE / LMLAB_OFFLINE set)"
    else:
        hub = "reachable" if sources.hub_reachable() else "cannot be reached"
    lines.append(f"Hub {sources.hub_endpoint()}: {hub}")
    lines.append("Models:")
    seen = set()
    for spec in registry.catalog():
        if spec.id in seen:
            continue
        seen.add(spec.id)
        embedded = sources.offline_available(spec)
        online = spec.hub_repo is not None and sources.hub_reachable()
        where = ("embedded" + (" + Hub" if online else "") if embedded
                 else "Hub" if online else "needs the Hub")
        lines.append(f"  {spec.id:<48} {spec.kind:<15} {where}")
    cache = sources.cache_dir()
    lines.append(f"Cache {cache}: {human_bytes(folder_bytes(cache))}")
    return lines


def doctor(_args: argparse.Namespace) -> int:
    for line in doctor_lines():
        print(line)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lmlab", description="LM Lab: see how language models "
                                  "work by using real ones and looking inside them.")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the Streamlit app (options after it go to streamlit)")
    gradio = commands.add_parser("gradio", help="the Gradio app and its API")
    gradio.add_argument("--port", type=int, default=None, help="port (default 7860)")
    gradio.add_argument("--share", action="store_true", help="a public gradio.live link")
    gradio.add_argument("--mcp", action=argparse.BooleanOptionalAction, default=None,
                        help="serve MCP too (default: when gradio[mcp] is installed)")
    commands.add_parser("doctor", help="device, dtype, models and cache on this machine")
    return top


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from lmlab.logs import setup_logging

    setup_logging()
    if argv[:1] == ["run"]:  # everything after `run` belongs to streamlit
        return run_streamlit(argv[1:])
    args = parser().parse_args(argv)
    if args.command == "gradio":
        return run_gradio(args)
    return doctor(args)


if __name__ == "__main__":
    sys.exit(main())
