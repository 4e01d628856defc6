"""The plan gives each scan job its share of the day's capacity (services/scan/plan.py): from SES's
GetAccount (quota and rate), the config and a warm-up ramp; shares that add up to the capacity; an
unreadable account leaves email to the config. Guards: todays_capacity, segment_share in plan_run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from winback.config.admission import Admission, WarmUp
from winback.config.loader import load_program
from winback.config.scan import ScanLimits
from winback.models.delivery import SendLimits
from winback.models.jobs import ScanJob
from winback.services.scan import plan as plan_module
from winback.services.scan.plan import plan_run, todays_capacity

AS_OF = dt.datetime(2026, 12, 7, 5, 0, tzinfo=dt.UTC)
PROGRAM = load_program()


def ses(max_24h: int | None = 50_000, rate: float = 14) -> Any:
    return lambda now: SendLimits(max_send_rate=rate, max_24h_send=max_24h, sent_last_24h=12_345, read_at=now)


def test_the_day_is_the_accounts_quota_and_the_sms_rate() -> None:
    assert todays_capacity(PROGRAM, AS_OF, ses()) == {"email": 50_000, "sms": 20 * 86_400}


def test_a_warm_up_ramp_limits_a_new_domain() -> None:
    warm = PROGRAM.model_copy(
        update={"admission": Admission(warm_up=WarmUp(first_day=AS_OF.date(), start_volume=500, growth_factor=2))}
    )
    assert todays_capacity(warm, AS_OF + dt.timedelta(days=3), ses())["email"] == 4_000  # type: ignore[index]


def test_an_unreadable_account_leaves_email_to_the_config() -> None:
    def fails(now: float) -> SendLimits:
        raise RuntimeError("AccessDenied")

    capacity = todays_capacity(PROGRAM, AS_OF, fails)
    assert capacity is not None and "email" not in capacity


def test_admission_off_plans_no_limit() -> None:
    off = PROGRAM.model_copy(update={"admission": Admission(enabled=False)})
    assert todays_capacity(off, AS_OF, ses()) is None


class Table:
    def item_count(self) -> int:
        return 130_000


def test_the_plan_divides_the_day_across_its_scan_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    monkeypatch.setattr(plan_module, "send_all", lambda url, bodies: sent.extend(bodies))
    result = plan_run(AS_OF, Table(), "scan-queue", ScanLimits(), {"email": 50_000, "sms": 7})  # type: ignore[arg-type]
    jobs = [ScanJob.model_validate_json(body) for body in sent]
    assert result.segments == len(jobs) == 7  # 130,000 items / 20,000 a segment
    assert sum(j.admit["email"] for j in jobs if j.admit) == 50_000
    assert [j.admit["sms"] for j in jobs if j.admit] == [1] * 7
    sent.clear()
    plan_run(AS_OF, Table(), "scan-queue", ScanLimits(), None)  # type: ignore[arg-type]
    assert all(ScanJob.model_validate_json(body).admit is None for body in sent)
