"""Import boundaries of the house layout (docs/design.md, "Target layout inside the layer"):

- config (program.yaml's schema) imports nothing from domain, adapters, services or runtime;
- domain is pure: no AWS SDK, no jinja2, no html, no adapters or services;
- the send service (services/send/) speaks the models' vocabulary: it imports nothing from adapters;
- no service calls DynamoDB or a boto3 client itself (adapters.clients, adapters.dynamo): a store does;
- no import cycle between modules of the layer or the tooling, counting every import
  (function-local and TYPE_CHECKING ones too: they hide a cycle, they do not remove it; and an import
  of a module's own package, whose `__init__` runs like any other module);
- Lambda code never imports dev tooling.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers/core"
DOMAIN = LAYER / "winback/domain"
CONFIG = LAYER / "winback/config"
SERVICES = LAYER / "winback/services"
SEND = SERVICES / "send"
TOOLING = ROOT / "tooling"
LAMBDA_CODE = (ROOT / "functions", ROOT / "layers")
AWS_SDK = {"boto3", "botocore", "aioboto3", "aiobotocore"}
PRESENTATION = {"jinja2", "html", "markupsafe"}
DEV_ONLY = {"winback_dev", "moto", "tooling", "samtranslator", "cfnlint", "pytest"}


def imported_modules(path: Path) -> Iterator[str]:
    """Every absolute module an import statement in `path` names (including `from x import y` as x and x.y)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def top_level(module: str) -> str:
    return module.split(".")[0]


def python_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.py") if ".aws-sam" not in p.parts)


DOMAIN_FILES = python_files(DOMAIN)
CONFIG_FILES = python_files(CONFIG)
SEND_FILES = python_files(SEND)
SERVICE_FILES = python_files(SERVICES)
LAMBDA_FILES = python_files(*LAMBDA_CODE)


def test_layout_is_where_the_tests_expect() -> None:
    assert len(DOMAIN_FILES) >= 5
    assert any(p.parent.name == "ingest" and p.name == "app.py" for p in LAMBDA_FILES)


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_module_does_not_import_aws_sdk(path: Path) -> None:
    offending = sorted({m for m in imported_modules(path) if top_level(m) in AWS_SDK})
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}"


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_module_does_not_import_adapters_or_services(path: Path) -> None:
    offending = sorted({m for m in imported_modules(path) if m.startswith(("winback.adapters", "winback.services"))})
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}"


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_module_does_not_import_presentation(path: Path) -> None:
    offending = sorted({m for m in imported_modules(path) if top_level(m) in PRESENTATION})
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}: rendering belongs in content/ or web/"


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_config_imports_no_domain_adapters_services_or_runtime(path: Path) -> None:
    layers = ("winback.domain", "winback.adapters", "winback.services", "winback.runtime", "winback.web")
    offending = sorted({m for m in imported_modules(path) if m.startswith(layers)})
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}"


@pytest.mark.parametrize("path", SEND_FILES, ids=lambda p: p.name)
def test_send_service_imports_no_adapter(path: Path) -> None:
    """Its ports and their values are the models' (send_state, coupons, delivery, outbound)."""
    offending = sorted({m for m in imported_modules(path) if m.startswith("winback.adapters")})
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}"


@pytest.mark.parametrize("path", SERVICE_FILES, ids=lambda p: str(p.relative_to(SERVICES)))
def test_no_service_calls_dynamodb_or_a_client_itself(path: Path) -> None:
    low_level = ("winback.adapters.clients", "winback.adapters.dynamo")
    offending = sorted({m for m in imported_modules(path) if m.startswith(low_level)})
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}: a store's method belongs in adapters/"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(*roots: Path) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a `from package import module` names the package,
    whose `__init__` runs, and the module). A module's own package counts like any other: a module
    that imports it while that `__init__` imports the module is a cycle."""
    files = {module_name(p, root): p for root in roots for p in python_files(root)}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        targets = set()
        for imported in imported_modules(path):
            if imported in files:
                targets.add(imported)
            elif imported.rpartition(".")[0] in files:
                targets.add(imported.rpartition(".")[0])
        graph[name] = targets - {name}
    return graph


class _Tarjan:
    """Tarjan's strongly connected components, over a graph of module names."""

    def __init__(self, graph: dict[str, set[str]]) -> None:
        self.graph = graph
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.stack: list[str] = []
        self.on_stack: set[str] = set()
        self.found: list[list[str]] = []

    def components(self) -> list[list[str]]:
        for node in sorted(self.graph):
            if node not in self.index:
                self._visit(node)
        return self.found

    def _visit(self, node: str) -> None:
        self.index[node] = self.low[node] = len(self.index)
        self.stack.append(node)
        self.on_stack.add(node)
        for nxt in sorted(self.graph.get(node, ())):
            if nxt not in self.index:
                self._visit(nxt)
                self.low[node] = min(self.low[node], self.low[nxt])
            elif nxt in self.on_stack:
                self.low[node] = min(self.low[node], self.index[nxt])
        if self.low[node] == self.index[node]:
            self.found.append(self._pop_component(node))

    def _pop_component(self, root: str) -> list[str]:
        component = []
        while True:
            member = self.stack.pop()
            self.on_stack.discard(member)
            component.append(member)
            if member == root:
                return sorted(component)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module."""
    return [c for c in _Tarjan(graph).components() if len(c) > 1]


def test_no_import_cycle_in_the_layer_or_the_tooling() -> None:
    graph = import_graph(LAYER, TOOLING)
    assert "winback.config.loader" in graph and "winback_dev.cli" in graph
    assert cycles(graph) == []


def test_cycle_finder_sees_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import thing\n")
    (pkg / "b.py").write_text("def thing() -> None:\n    from pkg import a\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    assert cycles(import_graph(tmp_path)) == [["pkg.a", "pkg.b"]]


def test_cycle_finder_sees_a_cycle_through_a_package_init(tmp_path: Path) -> None:
    """services/send/run.py once imported its own package, whose `__init__` imports run."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from pkg.run import go\n")
    (pkg / "run.py").write_text("from pkg import step\n")
    (pkg / "step.py").write_text("")
    assert cycles(import_graph(tmp_path)) == [["pkg", "pkg.run"]]


@pytest.mark.parametrize("path", LAMBDA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_lambda_code_does_not_import_dev_tooling(path: Path) -> None:
    offending = sorted({m for m in imported_modules(path) if top_level(m) in DEV_ONLY})
    assert offending == [], f"{path.relative_to(ROOT)} imports dev-only {offending}"


def test_checker_sees_each_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import boto3\n"
        "from botocore.config import Config\n"
        "from winback_dev import runner\n"
        "import importlib\n"
        "m = importlib.import_module('moto')\n"
        "def f() -> None:\n"
        "    import tooling.x\n",
        encoding="utf-8",
    )
    tops = {top_level(m) for m in imported_modules(sample)}
    assert {"boto3", "botocore", "winback_dev", "moto", "tooling"} <= tops


# The stores whose types a flow takes from models/ and its ports, never from the adapter (2026-12-07).
STORE_TYPES_FROM_PORTS = {
    "feedback": (
        "winback.adapters.messaging_store",
        "winback.adapters.suppression_store",
        "winback.adapters.sms_lookup",
    ),
    "ingest": ("winback.adapters.coupon_store",),
}


@pytest.mark.parametrize(
    "path",
    python_files(*(SERVICES / flow for flow in STORE_TYPES_FROM_PORTS)),
    ids=lambda p: str(p.relative_to(SERVICES)),
)
def test_flow_takes_store_types_from_models_and_ports(path: Path) -> None:
    """Redemption (models/coupons.py), SmsCell (models/send_state.py), and the feedback's ledger and
    suppressions (services/feedback/ports.py): the in-memory world implements the ports, not the adapters."""
    adapters = STORE_TYPES_FROM_PORTS[path.relative_to(SERVICES).parts[0]]
    offending = sorted({m for m in imported_modules(path) if m.startswith(adapters)})
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}"
