"""The README stays the short front door it is meant to be, and every link in it leads somewhere.

mkdocs checks the links of docs/ (`make docs`, strict); the README and CONTRIBUTING.md are read on
their own, so their relative links are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_README_LINES = 160
_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)\s]*)?\)")


def test_the_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; move reference material to docs/"


@pytest.mark.parametrize("page", ["README.md", "CONTRIBUTING.md"])
def test_every_relative_link_leads_to_a_file(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    targets = [t for t in _LINK.findall(text) if "://" not in t and not t.startswith("mailto:")]
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"{page} links to {missing}"


def test_the_link_finder_sees_links_and_anchors() -> None:
    assert _LINK.findall("see [a](docs/a.md) and [b](docs/b.md#part) or [c](https://x.org)") == [
        "docs/a.md",
        "docs/b.md",
        "https://x.org",
    ]
