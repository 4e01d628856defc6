"""report.html in Chromium: the self-contained report the demo and `winback report --html` write,
rendered from a campaign's counters on the stack (services/report.py, then the tooling's renderer)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.browser.checks import check_page
from tests.browser.conftest import Site, Visit
from winback.adapters.messaging_store import MessagingStore
from winback.runtime.deps import deps
from winback.services.report import campaign_report
from winback_dev.report_html import render_html

CAMPAIGN = "dormant-vip"  # no other browser test counts anything in it


def test_the_report_page(site: Site, visit: Visit) -> None:
    messaging = MessagingStore(site.table("MessagingTable"))
    for arm, assigned, back in (("coupon", 900, 120), ("no-coupon", 900, 95), ("holdout", 200, 14)):
        counts = {"assigned": assigned, "reactivated": back, "react_day_1": back // 2, "react_day_5": back - back // 2}
        messaging.add_cell(CAMPAIGN, None, arm, "at_risk", counts)
    messaging.add_cell(
        CAMPAIGN, 0, "coupon", "at_risk", {"sent": 880, "delivered": 860, "opened": 300, "unsubscribed": 6}
    )
    messaging.add_cell(CAMPAIGN, 0, "no-coupon", "at_risk", {"sent": 870, "delivered": 850, "bounced": 20})
    messaging.add_cell(CAMPAIGN, None, "coupon", "at_risk", {"choice_fewer": 31, "choice_pause_90": 9})
    messaging.add_cell(CAMPAIGN, None, "no-coupon", "at_risk", {"choice_pause_30": 12, "choice_unsubscribe_all": 4})
    report = campaign_report(CAMPAIGN, deps(), datetime.now(UTC))
    assert report.choices == {"fewer": 31, "pause_30": 12, "pause_90": 9, "unsubscribe_all": 4}
    page = visit.page
    page.set_content(render_html([report], "Win-back report"))
    assert "Preference choices (instead of leaving)" in page.inner_text("body")
    check_page(visit, "report")
    assert visit.requests == []  # nothing at all: no fonts, scripts, images, styles from anywhere
