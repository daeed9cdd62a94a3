"""The house's rules, read from the source (no module is imported): data -> metrics -> charts -> ui -> pages,
no import cycle (imports inside functions count), Streamlit only in pulse/ui/, and modules and pages kept small.
See docs/architecture.md."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PULSE = ROOT / "pulse"
MAX_MODULE_LINES = 600
MAX_PAGE_LINES = 100

# package (or module) -> what it must never import: pulse packages by dotted prefix, outside packages by name
FORBIDDEN = {
    "pulse.data": (
        *("pulse.metrics", "pulse.charts", "pulse.ui", "pulse.watch", "pulse.rollup", "pulse.rollup_manifest"),
        *("streamlit", "plotly"),
    ),
    "pulse.metrics": ("pulse.charts", "pulse.ui", "pulse.watch", "streamlit", "plotly", "requests"),
    "pulse.charts": ("pulse.ui", "pulse.watch", "streamlit", "requests"),
    "pulse.watch": ("pulse.ui", "pulse.charts", "streamlit", "plotly"),
    "pulse.rollup": ("pulse.ui", "pulse.metrics", "pulse.charts", "pulse.watch", "streamlit"),
    "pulse.rollup_manifest": ("pulse.ui", "pulse.metrics", "pulse.charts", "pulse.watch", "streamlit"),
    "pulse.spark_rollup": ("pulse.ui", "pulse.metrics", "pulse.charts", "pulse.watch", "streamlit"),
    "pulse.connectors": ("pulse.ui", "pulse.metrics", "pulse.charts", "pulse.watch", "streamlit"),
}
STREAMLIT_ONLY_IN = "pulse.ui"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PULSE.rglob("*.py")) if "assets" not in p.parts}


def imports(path: Path, known: set[str]) -> set[str]:
    """Every module `path` imports, at any depth of the file: pulse modules by their full name, others by their
    top-level package."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                whole = f"{base}.{alias.name}"
                found.add(whole if whole in known else base)
    return {name if name.startswith("pulse") else name.split(".")[0] for name in found}


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports(path, known) for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module, or a module importing itself (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges[v]:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_no_import_cycle_even_inside_functions():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_a_function_level_import_is_seen(tmp_path, monkeypatch):
    module = tmp_path / "pulse" / "x.py"
    module.parent.mkdir()
    module.write_text("def f():\n    from pulse.y import g\n    from . import z\n    import streamlit.runtime\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert imports(module, {"pulse.y", "pulse.z"}) == {"pulse.y", "pulse.z", "streamlit"}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_data_flows_one_way(layer):
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        if within(name, layer)
        for target in targets
        for banned in FORBIDDEN[layer]
        if within(target, banned)
    )
    assert wrong == []


def test_only_pulse_ui_imports_streamlit():
    wrong = sorted(
        name for name, targets in graph().items() if "streamlit" in targets and not within(name, STREAMLIT_ONLY_IN)
    )
    assert wrong == []


def test_the_dashboard_reads_the_watcher_only_through_its_state():
    """The app shows what `pulse watch` wrote; it never imports the collector, its rules or its delivery."""
    allowed = {"pulse.watch.state", "pulse.watch.alerts", "pulse.watch.tracking"}
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        if within(name, "pulse.ui")
        for target in targets
        if within(target, "pulse.watch") and target not in allowed
    )
    assert wrong == []


def test_modules_and_pages_stay_small():
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules().values()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    pages = [*(ROOT / "pages").glob("*.py")]
    long |= {str(p.relative_to(ROOT)): n for p in pages if (n := len(p.read_text().splitlines())) >= MAX_PAGE_LINES}
    assert long == {}
