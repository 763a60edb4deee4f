"""The import graph follows DESIGN.md section 3: each layer imports only the layers above it (and its own), and
only ``careflow.cli`` imports ``careflow.cli``, so the CLI, the demo and the web app can only call the library.

Every ``import careflow...`` counts, including those inside functions. A new top-level module must be placed in
a layer below (the test names any that is not).
"""

from __future__ import annotations

import ast
from pathlib import Path

import careflow

SRC = Path(careflow.__file__).resolve().parent

# DESIGN.md section 3, top to bottom. "shared" is usable from every layer; the pipeline runs the user's jobs over
# the whole library; the entry points (CLI, demo, web app) sit on the pipeline.
LAYERS: dict[str, tuple[str, ...]] = {
    "shared": ("careflow", "errors", "fy", "yamlio", "numbers", "safecsv", "output_guard", "privacy", "parameters",
               "vocabulary", "synth", "money", "lazy"),
    "inputs": ("ssda903", "dfe", "outturn"),
    "core": ("model", "aggregate"),
    "money": ("costs", "levers", "finance"),
    "product": ("register", "workforce", "indicators", "accounts"),
    "surfaces": ("reports",),
    "pipeline": ("pipeline",),
    "entry": ("cli", "demo", "web"),
}
RANK = {unit: i for i, units in enumerate(LAYERS.values()) for unit in units}
LAYER_OF = {unit: name for name, units in LAYERS.items() for unit in units}


def _unit(module: str) -> str:
    """The top-level unit of a careflow module: careflow.model.rates -> model; careflow -> careflow."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "careflow"


def _module_name(path: Path) -> str:
    parts = ("careflow",) + path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str | None = None) -> list[tuple[int, str]]:
    """(line, module) of every careflow module ``path`` (the module ``module``) imports, relative imports
    resolved."""
    me = (module or _module_name(path)).split(".")
    package = me if path.name == "__init__.py" else me[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "careflow"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "careflow":
                continue
            if base == "careflow":  # from careflow import model, pipeline ...
                out += [(node.lineno, f"careflow.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, base))
    return out


def _graph() -> list[tuple[str, int, str]]:
    """(module, line, imported module) for every careflow import in the package."""
    return [(_module_name(p), line, target) for p in sorted(SRC.rglob("*.py")) for line, target in _imports(p)]


def _against_layers(graph) -> list[str]:
    out = []
    for module, line, target in graph:
        me, them = _unit(module), _unit(target)
        if them in RANK and me in RANK and RANK[them] > RANK[me]:
            out.append(f"{module}:{line} ({LAYER_OF[me]}) imports {target} ({LAYER_OF[them]})")
    return out


def _importing_the_cli(graph) -> list[str]:
    return [f"{module}:{line} imports {target}" for module, line, target in graph
            if _unit(target) == "cli" and _unit(module) != "cli"]


def _importing_the_web_app(graph) -> list[str]:
    return [f"{module}:{line} imports {target}" for module, line, target in graph
            if _unit(target) == "web" and _unit(module) not in ("web", "cli")]


def test_every_module_is_in_a_layer():
    units = {_unit(_module_name(p)) for p in SRC.rglob("*.py")}
    unplaced = sorted(u for u in units if u not in RANK)
    assert not unplaced, f"place these in LAYERS in tests/test_layering.py (DESIGN.md section 3): {unplaced}"


def test_no_module_outside_cli_imports_the_cli():
    offenders = _importing_the_cli(_graph())
    assert not offenders, "only careflow.cli may import careflow.cli:\n" + "\n".join(offenders)


def test_only_the_web_app_and_serve_import_the_web_app():
    """careflow.web sits on the library; the library (and the demo) never import it; only ``careflow serve``
    (careflow.cli) starts it."""
    offenders = _importing_the_web_app(_graph())
    assert not offenders, "only careflow.web and careflow.cli may import careflow.web:\n" + "\n".join(offenders)
    web = [(m, line, t) for m, line, t in _graph() if _unit(m) == "web"]
    assert web, "careflow.web not found"
    assert not _importing_the_cli(web)


def test_each_layer_imports_only_the_layers_above_it():
    offenders = _against_layers(_graph())
    assert not offenders, "imports against DESIGN.md section 3's layering:\n" + "\n".join(offenders)


def test_the_checks_catch_imports_inside_functions_and_relative_ones(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy\nfrom careflow.errors import Finding\n\n\ndef f():\n"
                     "    from ..cli import main\n    import careflow.pipeline.forecast\n    from . import rates\n")
    graph = [("careflow.model.probe", line, t) for line, t in _imports(probe, "careflow.model.probe")]
    assert sorted(t for _, _, t in graph) == ["careflow.cli", "careflow.errors", "careflow.model",
                                              "careflow.pipeline.forecast"]
    assert len(_against_layers(graph)) == 2  # core importing the CLI and the pipeline; errors and model are fine
    assert _importing_the_cli(graph) == ["careflow.model.probe:6 imports careflow.cli"]
    assert _importing_the_web_app([("careflow.pipeline.x", 3, "careflow.web.jobs")]) == [
        "careflow.pipeline.x:3 imports careflow.web.jobs"]
