"""The layering of the three packages, read from their import statements (issue 27): no import circle
in theory/, gpu/ or verify/ (static tools then see every call), and no private name (a leading
underscore) used across modules."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "gpu", "verify")


def _modules() -> dict:
    mods = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            mods[name.removesuffix(".__init__")] = path
    return mods


def _imported(mods: dict, name: str, node) -> list:
    """The modules of ours that ``node`` (an import in module ``name``) imports."""
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        if node.level:
            parts = name.split(".")
            keep = len(parts) - node.level + (mods[name].name == "__init__.py")
            prefix = ".".join(parts[:keep] + ([node.module] if node.module else []))
        else:
            prefix = node.module
        targets = [prefix] + [f"{prefix}.{a.name}" for a in node.names]
    return [t for t in targets if t in mods]


def _graph() -> dict:
    mods = _modules()
    graph = {m: set() for m in mods}
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                # a submodule importing its own package's __init__ is not a circle
                graph[name] |= {t for t in _imported(mods, name, node) if t != name and not name.startswith(t + ".")}
    return graph


def _circles(graph: dict) -> list:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]

    def visit(root):
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_one():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_is_used_across_modules():
    found = []
    for path in _modules().values():
        tree = ast.parse(path.read_text())
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for a in node.names:
                    if a.name.startswith("_") and not a.name.startswith("__"):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {a.name}")
                    modules.add(a.asname or a.name)
            elif isinstance(node, ast.Import):
                modules |= {a.asname or a.name.split(".")[0] for a in node.names}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert found == []


def test_every_name_a_module_exports_exists():
    """``__all__`` names only what the module defines (a stale name breaks ``from m import *``)."""
    import importlib

    for name in sorted(_modules()):
        module = importlib.import_module(name)
        missing = [n for n in getattr(module, "__all__", ()) if not hasattr(module, n)]
        assert missing == [], (name, missing)


def test_each_model_family_trains_through_one_signature():
    """deep_fc.train, conv_nets.train and conv_nonlinear.train take (model, X) and the same keywords."""
    import inspect

    from theory import conv_nets, conv_nonlinear, deep_fc

    shared = {"optimizer", "lr", "max_steps", "loss_tol", "adam_eps", "checkpoints", "schedule", "finish_iter", "levels"}
    for fn in (deep_fc.train, conv_nets.train, conv_nonlinear.train):
        params = inspect.signature(fn).parameters
        assert list(params)[:2] in (["net", "X"], ["model", "X"]) and shared <= set(params), fn.__module__


def test_one_per_network_memorization_pipeline():
    """Issue 27: the per-network steps (the fixed point near each example, Theorem 2's certified class
    there, iteration until settled) are called in verify/ only by verify.analysis, whose
    classify_examples and settle_starts the deep and convolutional claims call as memverify analyze
    does; a second copy of the pipeline in a claim fails here."""
    steps = ("fixed_points_near(", ".settle(", "classify_within(")
    seen = {}
    for path in (ROOT / "verify").rglob("*.py"):
        calls = [s for s in steps for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(s[:-1])]
        if calls:
            seen[path.relative_to(ROOT).as_posix()] = sorted(set(calls))
    assert seen == {"verify/analysis.py": sorted(steps)}, seen
    uses = {p.name for p in (ROOT / "verify" / "claims").glob("*.py")
            if "analysis.classify_examples(" in p.read_text() or "analysis.settle_starts(" in p.read_text()}
    assert {"deep_common.py", "fig5.py"} <= uses
