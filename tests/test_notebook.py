"""docs/notebook.ipynb runs top to bottom in a real Jupyter kernel on the embedded models,
and each view displays itself with the numbers of the model behind it."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"

# Appended to the notebook here, not shown to its readers: the views' own numbers.
CHECKS = """
import json, math
checks = {
    "next_token_total": sum(bars.numbers["probabilities"]) + bars.numbers["rest"],
    "next_token_sorted": bars.numbers["probabilities"] == sorted(bars.numbers["probabilities"], reverse=True),
    "perplexity_is_exp_mean_nll": math.isclose(lens.numbers["perplexity"], math.exp(lens.numbers["mean_nll"]), rel_tol=1e-6),
    "train_steps": run.numbers["steps"],
    "train_beats_unigram": run.numbers["val_perplexity"] < run.numbers["unigram_perplexity"],
}
print(json.dumps(checks))
"""


@pytest.fixture(scope="module")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(CHECKS))
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return notebook


def outputs_of(notebook, source_start: str, kinds=("execute_result", "display_data")) -> list:
    """The displayed results of the one code cell starting with `source_start` (no logs)."""
    (cell,) = [c for c in notebook.cells if c.cell_type == "code"
               and c.source.startswith(source_start)]
    return [o for o in cell.outputs if o["output_type"] in kinds]


def test_every_view_displays_itself(executed):
    for start, mime in [("bars = lab.next_token", "application/vnd.plotly.v1+json"),
                        ("lens = lab.token_lens", "text/html"),
                        ("lens.figure", "application/vnd.plotly.v1+json"),
                        ("lab.attention", "text/html"),
                        ("lab.analogy", "application/vnd.plotly.v1+json"),
                        ("run = lab.train", "application/vnd.plotly.v1+json")]:
        (output,) = outputs_of(executed, start)
        assert mime in output["data"], (start, list(output["data"]))
    attention_html = outputs_of(executed, "lab.attention")[0]["data"]["text/html"]
    assert "<iframe srcdoc=" in attention_html and 'sandbox="allow-scripts"' in attention_html
    assert "cdn" not in attention_html.lower()  # the vendored bertviz JavaScript, offline


def test_the_views_numbers_follow_the_formulas(executed):
    (output,) = [o for o in outputs_of(executed, "\nimport json, math", ("stream",))
                 if o["name"] == "stdout"]
    checks = json.loads(output["text"])
    assert checks["next_token_total"] == pytest.approx(1.0, abs=1e-4)
    assert checks["next_token_sorted"] and checks["perplexity_is_exp_mean_nll"]
    assert checks["train_steps"] == 40 and checks["train_beats_unigram"]


def test_no_cell_failed(executed):
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", output.get("evalue")
