"""CI's security steps: checkov skips carry reasons, pip-audit fails only on findings, the lock is in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from winback_dev.security_checks import LOCK, audit_verdict, checkov_skips

REQUIREMENTS = Path(__file__).resolve().parents[3] / "layers" / "core" / "requirements.txt"


def test_every_checkov_skip_in_the_template_has_its_reason() -> None:
    skips = checkov_skips()
    assert skips and all(len(reason) > 40 for reason in skips.values())


def test_a_skip_without_a_reason_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text("Metadata:\n  CheckovSkips:\n    CKV_AWS_1: ''\nResources: {}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="CKV_AWS_1"):
        checkov_skips(template)


def test_a_vulnerability_fails_the_audit() -> None:
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "3.1.4", "vulns": [{"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"]}]},
            {"name": "six", "version": "1.17.0", "vulns": []},
        ]
    }
    code, lines = audit_verdict(report)
    assert code == 1 and "jinja2==3.1.4" in lines[0]


def test_an_unreachable_service_warns_loudly_but_is_not_a_finding() -> None:
    report = {"dependencies": [{"name": "six", "version": "1.17.0", "skip_reason": "Dependency not found on PyPI"}]}
    code, lines = audit_verdict(report)
    assert code == 0 and "NOT a clean audit" in lines[0]


def test_the_lock_pins_every_requirement_at_its_version_with_hashes() -> None:
    """`make lock` regenerates it; a requirement bumped without it fails here."""
    lock = LOCK.read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, re.M))
    normalized = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in pins.items()}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            name = re.sub(r"\[.*\]", "", name)
            assert normalized.get(re.sub(r"[-_.]+", "-", name).lower()) == version, name
    entries = re.split(r"\n(?=\S)", lock.strip())
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry)
