"""`winback fit-bgnbd` on the CDNOW file, `winback fit-gamma-gamma` on simulated spends, and the
errors for a bad file (exit status 2, the line and column named)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.unit.domain.prediction.samples import CDNOW_CSV, simulate_spend
from winback.domain.prediction.gamma_gamma import GammaGammaParams
from winback_dev.cli import main


def test_fit_bgnbd_prints_the_papers_estimates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit-bgnbd", str(CDNOW_CSV)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert set(found) == {"r", "alpha", "a", "b", "ll"}
    assert [round(found[k], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert round(found["ll"], 1) == -9582.4


def test_fit_gamma_gamma_prints_p_q_v_and_ll(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frequencies = [int(x) for x in np.random.default_rng(31).poisson(1.5, 3000)]
    rows = simulate_spend(GammaGammaParams(6.25, 3.74, 15.44), frequencies, seed=32)
    path = tmp_path / "spend.csv"
    path.write_text(
        "customer,frequency,monetary_value\n"
        + "".join(f"{i},{h.frequency},{h.mean_spend:.4f}\n" for i, h in enumerate(rows)),
        encoding="utf-8",
    )
    assert main(["fit-gamma-gamma", str(path)]) == 0
    found = json.loads(capsys.readouterr().out)
    assert set(found) == {"p", "q", "v", "ll"}
    assert found["p"] * found["v"] / (found["q"] - 1) == pytest.approx(6.25 * 15.44 / 2.74, rel=0.05)


def _bad(tmp_path: Path, text: str, command: str = "fit-bgnbd") -> tuple[int, str]:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    return main([command, str(path)]), str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frequency,recency\n1,2\n", "missing column(s) 'T'"),
        ("frequency,recency,T\n1,2,3\n2,abc,5\n", "line 3, column 'recency': 'abc' is not a number"),
        ("frequency,recency,T\n1.5,2,3\n", "line 2, column 'frequency': '1.5' is not a whole number"),
        ("frequency,recency,T\n1,nan,3\n", "line 2, column 'recency': 'nan' is not a finite number"),
        ("frequency,recency,T\n1,4,3\n", "line 2: need 0 <= recency <= age"),
        ("frequency,recency,T\n1,2\n", "line 2: expected 3 cells"),
        ("", "missing column(s) 'frequency', 'recency', 'T'"),
    ],
)
def test_a_bad_file_names_the_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    status, path = _bad(tmp_path, text)
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith(f"winback: {path}: ") and message in err


def test_a_bad_gamma_gamma_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = _bad(tmp_path, "frequency,monetary_value\n2,0\n", "fit-gamma-gamma")
    assert status == 2
    assert "line 2: a repeat buyer's mean spend must be > 0" in capsys.readouterr().err


def test_a_file_that_is_not_there_or_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit-bgnbd", str(tmp_path / "missing.csv")]) == 2
    assert "No such file" in capsys.readouterr().err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("frequency,recency,T\n1,2,3 \xe9\n".encode("latin-1"))
    assert main(["fit-bgnbd", str(latin)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_a_sample_too_small_to_fit_is_exit_status_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "small.csv"
    path.write_text("frequency,recency,T\n1,2,3\n0,0,3\n", encoding="utf-8")
    assert main(["fit-bgnbd", str(path)]) == 1
    assert "no fit: too_small: 1 repeat buyers among 2 customers" in capsys.readouterr().err
