"""Import boundaries: pure domain code has no AWS SDK; Lambda code never imports dev tooling."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "layers/core/winback/domain"
LAMBDA_CODE = (ROOT / "functions", ROOT / "layers")
AWS_SDK = {"boto3", "botocore", "aioboto3", "aiobotocore"}
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
