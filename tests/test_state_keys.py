"""Each page owns its widget and session keys; two pages never share one by accident.

Streamlit keeps session values across page switches, so two pages that use the
same key for different things would leak one page's value into the other. The
scan reads the source (pages/ and components/) for `key=` arguments and
`st.session_state[...]` / `.get` / `.setdefault` / `.pop` uses, resolves each
to its string (a literal, a module constant, a constant imported from a
component, or the literal start of an f-string) and its owner (the page, or the
component whose constant it is).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSION_METHODS = {"get", "setdefault", "pop"}
# URL-bound settings name their widget key by position: url_state.number("layer", KEY, ...)
SETTING_KEY_ARG = {("url_state", "text"): 1, ("url_state", "number"): 1,
                   ("url_state", "choice"): 1, ("url_state", "flag"): 1,
                   ("working_text", "text_setting"): 0}


def _constants(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            out[node.targets[0].id] = node.value.value
    return out


def _imported_from_components(tree: ast.Module) -> dict[str, str]:
    """name -> component module file stem, for `from components.x import NAME`."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("components."):
            for alias in node.names:
                out[alias.asname or alias.name] = node.module.split(".", 1)[1]
    return out


def _key_expressions(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "key":
                    yield kw.value
            func = node.func
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                index = SETTING_KEY_ARG.get((func.value.id, func.attr))
                if index is not None and len(node.args) > index:
                    yield node.args[index]
            if (isinstance(func, ast.Attribute) and func.attr in SESSION_METHODS and node.args
                    and _is_session_state(func.value)):
                yield node.args[0]
        elif isinstance(node, ast.Subscript) and _is_session_state(node.value):
            yield node.slice


def _is_session_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "session_state"


def scan(root: Path) -> dict[str, set[str]]:
    """key (or 'prefix*' for an f-string) -> the owners (pages/x.py or components/y.py)."""
    component_constants = {path.stem: _constants(ast.parse(path.read_text()))
                           for path in (root / "components").glob("*.py")}
    owners: dict[str, set[str]] = {}
    for folder in ("pages", "components"):
        for path in sorted((root / folder).glob("*.py")):
            tree = ast.parse(path.read_text())
            local, imported = _constants(tree), _imported_from_components(tree)
            here = f"{folder}/{path.name}"
            for expr in _key_expressions(tree):
                found = _resolve(expr, local, imported, component_constants, here)
                if found is not None:
                    owners.setdefault(found[0], set()).add(found[1])
    return owners


def _resolve(expr, local, imported, component_constants, here):
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value, here
    if isinstance(expr, ast.Name):
        if expr.id in local:
            return local[expr.id], here
        module = imported.get(expr.id)
        if module and expr.id in component_constants.get(module, {}):
            return component_constants[module][expr.id], f"components/{module}.py"
    if isinstance(expr, ast.JoinedStr) and expr.values and isinstance(expr.values[0], ast.Constant):
        prefix = str(expr.values[0].value)
        name = expr.values[1] if len(expr.values) > 1 else None
        if isinstance(name, ast.FormattedValue) and isinstance(name.value, ast.Name) \
                and name.value.id in local:
            prefix += local[name.value.id]  # f"{NEXT_CHART}_{n}" starts with the constant
        return prefix + "*", here
    if isinstance(expr, ast.JoinedStr) and expr.values and isinstance(expr.values[0], ast.FormattedValue):
        inner = expr.values[0].value
        if isinstance(inner, ast.Name) and inner.id in local:
            return local[inner.id] + "*", here
    return None  # state.X (shared on purpose) or a key computed at run time


def collisions(owners: dict[str, set[str]]) -> list[str]:
    """Keys (or f-string prefixes) that two pages, or a page and a component, both claim."""
    problems = []
    keys = sorted(owners)
    for key in keys:
        if len(owners[key]) > 1 and any(o.startswith("pages/") for o in owners[key]):
            problems.append(f"{key!r} is used by {sorted(owners[key])}")
    for prefix in (k for k in keys if k.endswith("*")):
        for key in keys:
            if key != prefix and key.startswith(prefix[:-1]):
                claimants = owners[key] | owners[prefix]
                if len({o for o in claimants}) > 1 and any(o.startswith("pages/") for o in claimants):
                    problems.append(f"{key!r} falls under {prefix!r}: {sorted(claimants)}")
    return problems


def test_no_key_is_shared_between_pages():
    owners = scan(ROOT)
    assert collisions(owners) == []


def test_the_scan_sees_each_page_s_keys():
    owners = scan(ROOT)
    # A scan that found nothing would pass the collision test for the wrong reason.
    for key, page in [("next_prompt", "pages/next_token.py"), ("att_text", "pages/attention.py"),
                      ("am_layer", "pages/attention_math.py"), ("tr_text", "pages/translate.py"),
                      ("gen_strategy", "components/controls.py")]:
        assert page in owners.get(key, set()), (key, owners.get(key))


def test_a_collision_between_two_pages_is_found(tmp_path):
    (tmp_path / "components").mkdir()
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.py").write_text('X = "shared_key"\nst.slider("a", key=X)\n')
    (tmp_path / "pages" / "b.py").write_text('st.session_state["shared_key"] = 1\n'
                                             'st.button("b", key=f"shared_{1}")\n')
    problems = collisions(scan(tmp_path))
    assert any("'shared_key' is used by ['pages/a.py', 'pages/b.py']" in p for p in problems)


def test_components_state_holds_only_shared_keys():
    """A key in components/state.py used by one page alone belongs in that page."""
    state_constants = _constants(ast.parse((ROOT / "components" / "state.py").read_text()))
    assert "LANGUAGE" in state_constants
    users: dict[str, set[str]] = {name: set() for name in state_constants}
    for folder in ("pages", "components"):
        for path in (ROOT / folder).glob("*.py"):
            if path.name == "state.py":
                continue
            text = path.read_text()
            for name in state_constants:
                if f"state.{name}" in text:
                    users[name].add(f"{folder}/{path.name}")
    only_one_page = {name: u for name, u in users.items()
                     if len(u) == 1 and next(iter(u)).startswith("pages/")}
    assert only_one_page == {}
