"""The layers of DESIGN.md hold: arrows point down only (kernels <- backend <- autograd <- tensor <- ops <- nn/optim <-
vision/keras), no import circle among tensor, creation and ops, and tensor.py stays the Tensor's state and glue.

The import graph is read from the sources (every import statement, at module level or inside a function)."""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "autograd_lite"


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """The autograd_lite modules a source file imports (resolved to module names)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("autograd_lite"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("autograd_lite"):
                target = node.module
            else:
                continue
            for alias in node.names:       # `from . import x` imports the module x when it is one
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return found


MODULES = {_module_name(p) for p in PACKAGE.rglob("*.py")}
GRAPH = {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def _reaches(start, targets):
    """The modules of `targets` that `start` imports, directly or not (not going through package __init__s, whose
    imports of submodules are exports, not dependencies)."""
    seen, stack, hit = set(), [start], set()
    while stack:
        module = stack.pop()
        for dep in GRAPH.get(module, ()):
            if dep in targets:
                hit.add(dep)
            if dep not in seen and not PACKAGE.joinpath(*dep.split(".")[1:], "__init__.py").exists():
                seen.add(dep)
                stack.append(dep)
    return hit


def _layer(prefix):
    return {m for m in MODULES if m == prefix or m.startswith(prefix + ".")}


OPS = _layer("autograd_lite.ops")
ABOVE_TENSOR = OPS | _layer("autograd_lite.creation") | _layer("autograd_lite._api") | _layer("autograd_lite.nn") \
    | _layer("autograd_lite.optim") | _layer("autograd_lite.vision") | _layer("autograd_lite.keras")


def test_tensor_imports_nothing_above_it():
    assert not _reaches("autograd_lite.tensor", ABOVE_TENSOR)


@pytest.mark.parametrize("module", sorted(_layer("autograd_lite.autograd")))
def test_autograd_imports_nothing_above_it(module):
    assert not _reaches(module, ABOVE_TENSOR | {"autograd_lite.tensor"}), module


@pytest.mark.parametrize("module", sorted(_layer("autograd_lite.kernels")))
def test_kernels_import_nothing_of_the_library(module):
    library = MODULES - _layer("autograd_lite.kernels") - {"autograd_lite"}
    assert not (GRAPH[module] & library), (module, GRAPH[module] & library)


@pytest.mark.parametrize("module", sorted(OPS | {"autograd_lite.creation", "autograd_lite.tensor",
                                                  "autograd_lite._api"}))
def test_no_import_circle_among_tensor_creation_and_ops(module):
    assert module not in _reaches(module, {module}), f"{module} imports itself through others"


def test_creation_does_not_import_ops():
    assert not _reaches("autograd_lite.creation", OPS)


def test_tensor_py_stays_small():
    lines = len((PACKAGE / "tensor.py").read_text().splitlines())
    assert lines <= 475, f"tensor.py has {lines} lines: ops belong in ops/, declared once"
