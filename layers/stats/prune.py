"""Remove from the installed stats layer what winback.domain.prediction.fitting never loads: the test
suites, type stubs, C headers and build helpers of numpy and scipy, and caches. Nothing a module
imports at run time is removed (tests/unit/test_stats_layer.py checks the list)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

# Directories anywhere in the tree.
PRUNED_DIRS = ("tests", "__pycache__")
# Paths under the layer's python/ folder.
PRUNED_PATHS = (
    "numpy/_core/include",
    "numpy/_core/lib/pkgconfig",
    "numpy/_pyinstaller",
    "numpy/typing/tests",
    "numpy/doc",
)
PRUNED_SUFFIXES = (".pyi", ".pxd", ".h", ".c", ".cpp", ".pyx")


def size(root: Path) -> int:
    return sum(f.stat().st_size for f in root.rglob("*") if f.is_file())


def prune(root: Path) -> tuple[int, int]:
    before = size(root)
    for name in PRUNED_DIRS:
        for found in sorted(root.rglob(name), reverse=True):
            if found.is_dir():
                shutil.rmtree(found, ignore_errors=True)
    for relative in PRUNED_PATHS:
        target = root / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for found in list(root.rglob("*")):
        if found.is_file() and found.suffix in PRUNED_SUFFIXES:
            found.unlink()
    return before, size(root)


if __name__ == "__main__":
    before, after = prune(Path(sys.argv[1]))
    print(f"stats layer: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB unzipped")
