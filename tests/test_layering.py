"""The split of the design: core without UI, pages without torch, one cache."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_ui_framework():
    for path in (ROOT / "lmlab").rglob("*.py"):
        assert not imported_modules(path) & {"streamlit", "gradio"}, path


def test_pages_import_no_torch_or_transformers():
    for path in (ROOT / "pages").glob("*.py"):
        assert not imported_modules(path) & {"torch", "transformers"}, path


def test_every_page_file_is_registered():
    from components.navigation import PAGES

    registered = {info.path for info in PAGES}
    on_disk = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert on_disk == registered
    assert "navigation import PAGES" in (ROOT / "app.py").read_text()


def test_every_page_hands_a_lone_run_to_the_router():
    # A deep link opened first on a fresh server runs the page without app.py.
    for path in (ROOT / "pages").glob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert "use_router()" in lines, f"{path.name} does not call use_router()"


def test_one_cache_resource():
    import re

    use = re.compile(r"@st\.cache_resource|st\.cache_resource\(|import cache_resource")
    users = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts and "tests" not in p.parts
             and use.search(p.read_text(encoding="utf-8"))]
    assert [p.relative_to(ROOT).as_posix() for p in users] == ["components/model_cache.py"]


def test_every_page_has_a_lesson_in_english_and_chinese():
    from components.lessons import LESSONS

    for path in (ROOT / "pages").glob("*.py"):
        assert f'show_lesson("{path.stem}"' in path.read_text(encoding="utf-8"), path.name
        for language in ("en", "zh"):
            lesson = LESSONS / language / f"{path.stem}.md"
            assert lesson.is_file() and len(lesson.read_text(encoding="utf-8")) > 150, lesson


def test_core_files_stay_small():
    # One job per file: a core module past ~350 lines is doing two things.
    for path in (ROOT / "lmlab").rglob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 360, f"{path.relative_to(ROOT)} has {lines} lines"


def test_page_functions_stay_short():
    for folder in ("pages", "components"):
        for path in (ROOT / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    length = node.end_lineno - node.lineno + 1
                    assert length <= 60, f"{path.name}: {node.name} is {length} lines"
