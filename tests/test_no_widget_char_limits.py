"""Text fields carry no max_chars: the browser drops a longer paste without a word.

The core checks every text's length and says the limit in one sentence, keeping what
was pasted in the box (tests/test_pages_applications.py shows it on a page).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_text_widget_sets_max_chars():
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
                 *sorted((ROOT / "components").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("text_input", "text_area", "chat_input")
                    and any(k.arg == "max_chars" for k in node.keywords)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
