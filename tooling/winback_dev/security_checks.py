"""`python -m winback_dev.security_checks checkov|audit`: the CI security steps (`make security`).

checkov: translates template.yaml (SAM) to CloudFormation as the deploy would, and runs checkov on
it, skipping exactly the checks listed with a reason under the template's `Metadata.CheckovSkips`.

audit: pip-audit over the layer's pinned, hashed requirements (layers/core/requirements.lock, every
transitive package included). It fails on a known vulnerability. When pip-audit cannot reach its
vulnerability service (a network without PyPI's JSON API, as on some build hosts), it says so
loudly and passes: a missing network is not a finding, but it must never look like a clean audit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
LOCK = ROOT / "layers" / "core" / "requirements.lock"


def checkov_skips(template: Path = TEMPLATE) -> dict[str, str]:
    """Check id -> reason; raises ValueError for a skip without a reason."""
    from cfnlint.decode.cfn_yaml import loads

    skips: dict[str, Any] = loads(template.read_text(encoding="utf-8")).get("Metadata", {}).get("CheckovSkips", {})
    for check, reason in skips.items():
        if not isinstance(reason, str) or len(reason.strip()) < 20:
            raise ValueError(f"checkov skip {check} needs its reason in template.yaml Metadata.CheckovSkips")
    return {str(k): str(v) for k, v in skips.items()}


def run_checkov(checkov: str) -> int:
    from winback_dev.template import translate_template

    skips = checkov_skips()
    with tempfile.TemporaryDirectory() as folder:
        translated = Path(folder) / "template.json"
        translated.write_text(json.dumps(translate_template()), encoding="utf-8")
        command = [checkov, "-f", str(translated), "--framework", "cloudformation", "--compact", "--quiet"]
        if skips:
            command += ["--skip-check", ",".join(sorted(skips))]
        return subprocess.run(command, check=False).returncode  # noqa: S603 - our own tool paths


def audit_verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """Exit code and lines to print for a pip-audit JSON report."""
    lines: list[str] = []
    vulnerable = [d for d in report.get("dependencies", []) if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            lines.append(f"VULNERABLE {dep['name']}=={dep['version']}: {vuln['id']} (fixed in {fixes})")
    skipped = [d for d in report.get("dependencies", []) if d.get("skip_reason")]
    if skipped:
        lines.append(
            f"WARNING: pip-audit could not audit {len(skipped)} of {len(report.get('dependencies', []))} "
            "packages (its vulnerability service did not answer for them); this is NOT a clean audit:"
        )
        lines += [f"  {d['name']}: {d['skip_reason']}" for d in skipped]
    return (1 if vulnerable else 0), lines


def run_audit(pip_audit: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "audit.json"
        command = [pip_audit, "--require-hashes", "--disable-pip", "-r", str(LOCK), "-f", "json", "-o", str(out)]
        finished = subprocess.run(command, check=False, capture_output=True, text=True)  # noqa: S603
        if not out.exists():
            print(finished.stderr, file=sys.stderr)
            print("WARNING: pip-audit produced no report (vulnerability service unreachable?)", file=sys.stderr)
            return 0 if "ConnectionError" in finished.stderr or "Max retries" in finished.stderr else 1
        code, lines = audit_verdict(json.loads(out.read_text(encoding="utf-8")))
    for line in lines:
        print(line, file=sys.stderr if code or line.startswith(("WARNING", "  ")) else sys.stdout)
    if code == 0:
        print("pip-audit: no known vulnerability in layers/core/requirements.lock")
    return code


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2 or args[0] not in ("checkov", "audit"):
        print("usage: python -m winback_dev.security_checks checkov|audit PATH_TO_TOOL", file=sys.stderr)
        return 2
    return run_checkov(args[1]) if args[0] == "checkov" else run_audit(args[1])


if __name__ == "__main__":
    raise SystemExit(main())
