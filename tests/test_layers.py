"""How the rooms import each other: views/ is at most five floors deep and has no cycle, the maths
imports no room above it, one module owns the address, and the generic controls know no tab."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("attention", "charts", "exchange", "views")


def imports(path):  # Path -> set of the project's modules it imports ("views.link", ...)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # `from views import link`
    return {name for name in found if name.split(".")[0] in ROOMS}


def graph(room):  # str -> {module: set of modules of the same room it imports}
    modules = {f"{room}.{p.stem}": p for p in (ROOT / room).glob("*.py") if p.stem != "__init__"}
    return {name: imports(path) & modules.keys() for name, path in modules.items()}


def floors(edges):  # {module: set of modules} -> {module: floor}, 1 for a module that imports none
    floor = {}

    def visit(name, path):
        assert name not in path, f"import cycle: {' -> '.join([*path, name])}"
        if name not in floor:
            floor[name] = 1 + max((visit(m, (*path, name)) for m in edges[name]), default=0)
        return floor[name]

    for name in edges:
        visit(name, ())
    return floor


def test_floors_count_the_longest_chain_and_find_a_cycle():
    assert floors({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"c"}}) == {"a": 3, "b": 2, "c": 1, "d": 2}
    try:
        floors({"a": {"b"}, "b": {"a"}})
    except AssertionError as cycle:
        assert "a -> b -> a" in str(cycle)
    else:
        raise AssertionError("a cycle went unnoticed")


def test_views_is_at_most_five_floors_deep_without_a_cycle():
    depth = floors(graph("views"))
    assert max(depth.values()) <= 5, sorted(depth.items(), key=lambda kv: -kv[1])[:6]


def test_no_room_has_an_import_cycle():
    for room in ROOMS:
        floors(graph(room))


def test_the_maths_imports_no_room_above_it():
    for path in (ROOT / "attention").glob("*.py"):
        assert all(m.startswith("attention") for m in imports(path)), path.name


def test_one_module_touches_the_address():
    touching = [
        p.relative_to(ROOT).as_posix()
        for p in [ROOT / "app.py", *ROOT.glob("views/*.py"), *ROOT.glob("exchange/*.py")]
        if "query_params" in p.read_text()
    ]
    assert touching == ["views/link.py"]


def test_the_controls_import_no_tab():
    declares = re.compile(r"^TAB = Tab\(", re.MULTILINE)
    tabs = {f"views.{p.stem}" for p in (ROOT / "views").glob("*.py") if declares.search(p.read_text())}
    assert len(tabs) == 8
    assert not imports(ROOT / "views" / "controls.py") & (tabs | {"views.tabs"})
