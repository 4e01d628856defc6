"""`winback fit-bgnbd FILE.csv` and `winback fit-gamma-gamma FILE.csv`: the stats step's model fits,
on a CSV file of per-customer summaries, printed as JSON.

- fit-bgnbd: columns `frequency` (repeat purchases), `recency` (time of the last one) and `T` (age),
  both from the first purchase, in any one unit (the CDNOW summary's weeks, say); prints r, alpha, a,
  b and the log-likelihood `ll`, alpha in that unit.
- fit-gamma-gamma: columns `frequency` and `monetary_value` (the mean of the repeat purchases); rows
  without a repeat purchase are read and left out of the fit; prints p, q, v and `ll`.

A bad file (unreadable, a missing column, a cell that is not a number, an impossible row) is an
error naming the line and column, exit status 2; a sample the fit cannot use is exit status 1.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from winback.domain.prediction.bgnbd import PurchaseHistory
from winback.domain.prediction.gamma_gamma import SpendHistory

COMMANDS = ("fit-bgnbd", "fit-gamma-gamma")
BGNBD_COLUMNS = ("frequency", "recency", "T")
GAMMA_GAMMA_COLUMNS = ("frequency", "monetary_value")
Row = TypeVar("Row")


class BadFile(ValueError):
    """The file cannot be read as the summary the command expects; the message says where."""


def _number(text: str, line: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadFile(f"line {line}, column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise BadFile(f"line {line}, column {column!r}: {text!r} is not a finite number")
    return value


def _count(text: str, line: int, column: str) -> int:
    value = _number(text, line, column)
    if value != int(value):
        raise BadFile(f"line {line}, column {column!r}: {text!r} is not a whole number")
    return int(value)


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row, after checking that the header has `columns`."""
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in columns if c not in header]
            if missing:
                raise BadFile(f"missing column(s) {', '.join(map(repr, missing))}; the header has {header}")
            for row in reader:
                if None in row.values() or None in row:
                    raise BadFile(f"line {reader.line_num}: expected {len(header)} cells")
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise BadFile(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise BadFile(exc.strerror or str(exc)) from None


def _read(path: Path, columns: tuple[str, ...], build: Callable[[int, dict[str, str]], Row]) -> list[Row]:
    found = []
    for line, row in _rows(path, columns):
        try:
            found.append(build(line, row))
        except BadFile:
            raise
        except ValueError as exc:
            raise BadFile(f"line {line}: {exc}") from None
    return found


def read_purchase_histories(path: Path) -> list[PurchaseHistory]:
    def build(line: int, row: dict[str, str]) -> PurchaseHistory:
        return PurchaseHistory(
            _count(row["frequency"], line, "frequency"),
            _number(row["recency"], line, "recency"),
            _number(row["T"], line, "T"),
        )

    return _read(path, BGNBD_COLUMNS, build)


def read_spend_histories(path: Path) -> list[SpendHistory]:
    def build(line: int, row: dict[str, str]) -> SpendHistory:
        return SpendHistory(
            _count(row["frequency"], line, "frequency"),
            _number(row["monetary_value"], line, "monetary_value"),
        )

    return _read(path, GAMMA_GAMMA_COLUMNS, build)


def _fit_bgnbd(path: Path) -> dict[str, float] | str:
    from winback.domain.prediction.fitting import fit_bgnbd

    fit = fit_bgnbd(read_purchase_histories(path), datetime.now(UTC), time_unit="as in the file")
    if fit.params is None or fit.log_likelihood is None:
        return f"{fit.status}: {fit.detail}"
    p = fit.params
    return {"r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b, "ll": fit.log_likelihood}


def _fit_gamma_gamma(path: Path) -> dict[str, float] | str:
    from winback.domain.prediction.fitting import fit_gamma_gamma

    fit = fit_gamma_gamma(read_spend_histories(path), datetime.now(UTC))
    if fit.params is None or fit.log_likelihood is None:
        return f"{fit.status}: {fit.detail}"
    p = fit.params
    return {"p": p.p, "q": p.q, "v": p.v, "ll": fit.log_likelihood}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bgnbd = sub.add_parser("fit-bgnbd", help="fit BG/NBD to a CSV of frequency, recency, T; print r, alpha, a, b, ll")
    bgnbd.add_argument("file", type=Path)
    spend = sub.add_parser("fit-gamma-gamma", help="fit Gamma-Gamma to a CSV of frequency, monetary_value")
    spend.add_argument("file", type=Path)


def run(args: argparse.Namespace) -> int:
    fit = _fit_bgnbd if args.command == "fit-bgnbd" else _fit_gamma_gamma
    try:
        result = fit(args.file)
    except BadFile as exc:
        print(f"winback: {args.file}: {exc}", file=sys.stderr)
        return 2
    if isinstance(result, str):
        print(f"winback: {args.file}: no fit: {result}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0
