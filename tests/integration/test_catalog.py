"""The catalog on moto: items from a catalog file (through the backfill) and from the webhook's
product properties; an email's recommendations show their names and formatted prices."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.conftest import Stack
from tests.integration.helpers import count_calls, dormant_profile, sample_event, use_program
from winback.adapters.catalog_store import CatalogStore
from winback.config.settings import get_settings
from winback_dev import backfill
from winback_dev.lambda_events import sqs_event, sqs_record
from winback_dev.signing import signed_headers

NOW = datetime.now(UTC)
LAST_ORDER = NOW - timedelta(days=100)
CATALOG_CSV = """product_id,name,category,price,currency,image_url,url,in_stock
sku-1,Sold Out Sneaker,shoes,120.00,USD,,,false
sku-2,Trail Runner 2,shoes,89.00,USD,https://cdn.example.com/sku-2.jpg,https://shop.example.com/trail-runner,true
"""


@pytest.fixture(autouse=True)
def _any_hour(stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_program(tmp_path, monkeypatch, quiet_hours={})


def _post(stack: Stack, payload: Any) -> None:
    body = json.dumps(payload)
    event = sample_event("ingest_post_events.json")
    event["body"] = body
    event["headers"] = {**signed_headers(stack.webhook_secret, body), "host": "api.example.com"}
    assert stack.invoke("ingest", event)["statusCode"] == 200


def _send_email_html(stack: Stack, user_id: str) -> str:
    captured: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        captured.append(params)

    from winback.adapters import clients

    clients.sesv2().meta.events.register("before-parameter-build.sesv2.SendEmail", capture)
    job = {
        "run_id": "run-test",
        "campaign_id": "dormant-offer",
        "step": 0,
        "tier": "dormant",
        "recipients": [{"user_id": user_id, "episode": LAST_ORDER.isoformat(), "arm": "a", "segment": "all"}],
    }
    record = sqs_record(json.dumps(job), "arn:aws:sqs:us-east-1:123456789012:send")
    with count_calls() as calls:
        assert stack.invoke("send", sqs_event([record])) == {"batchItemFailures": []}
    assert calls["BatchGetItem"] <= 4  # the job's reads, suppression and one catalog read, not one per item
    return str(captured[0]["Content"]["Simple"]["Body"]["Html"]["Data"])


def test_an_email_shows_catalog_names_and_prices_skips_out_of_stock_and_falls_back(stack: Stack) -> None:
    """Guard: the send path reads the job's catalog items (one BatchGetItem) and the email shows the
    item's name, image and price formatted by domain/money.py, skips an out-of-stock item, and
    shows an unknown item by its id."""
    bucket = stack.table("BackfillBucket")
    boto3.client("s3").put_object(Bucket=bucket, Key="imports/catalog/items.csv", Body=CATALOG_CSV.encode())
    counts = backfill.play_import(bucket, "imports/catalog/", "catalog-1")
    assert (counts["rows"], counts["applied"], counts["rejected"]) == (2, 2, 0)
    # A live view event describes another item with the Segment spec's product properties.
    _post(
        stack,
        {
            "user_id": "u-9",
            "type": "view",
            "occurred_at": (NOW - timedelta(days=1)).isoformat(),
            "properties": {"product": {"sku": "sku-3", "name": "Rain Jacket", "price": 1299, "currency": "CNY"}},
        },
    )
    assert CatalogStore(get_settings().messaging_table).get_many(["sku-3"])["sku-3"].price_minor == 129900
    dormant_profile("u1", LAST_ORDER, name="Alex", recent_items=["sku-1", "sku-2", "sku-3", "sku-404"])

    html = _send_email_html(stack, "u1")

    assert "Trail Runner 2</a> · $89.00" in html
    assert 'src="https://cdn.example.com/sku-2.jpg"' in html
    assert 'href="https://shop.example.com/trail-runner?utm_source=winback' in html
    assert "Rain Jacket</a> · ¥1,299.00" in html
    assert "Sold Out Sneaker" not in html and "sku-1" not in html
    assert ">sku-404</a>" in html  # unknown to the catalog: its id, as before


def test_a_catalog_rerun_changes_nothing_and_history_does_not_overwrite_the_catalog(stack: Stack) -> None:
    """Guard: a catalog row as stored is a duplicate; a history event's product only fills an item
    the catalog does not know (an old price never overwrites the catalog's)."""
    bucket = stack.table("BackfillBucket")
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="imports/catalog/items.csv", Body=CATALOG_CSV.encode())
    history = [
        {
            "user_id": "u-1",
            "type": "view",
            "occurred_at": "2025-01-01T10:00:00Z",
            "properties": {"product": {"product_id": pid, "name": "Old name", "price": "10.00", "currency": "USD"}},
        }
        for pid in ("sku-2", "sku-5")
    ]
    s3.put_object(
        Bucket=bucket, Key="imports/history/h.jsonl", Body="".join(json.dumps(r) + "\n" for r in history).encode()
    )
    first = backfill.play_import(bucket, "imports/", "r1")
    again = backfill.play_import(bucket, "imports/", "r2")

    items = CatalogStore(get_settings().messaging_table).get_many(["sku-2", "sku-5"])
    assert (items["sku-2"].name, items["sku-2"].price_minor) == ("Trail Runner 2", 8900)
    assert items["sku-5"].name == "Old name"
    assert (first["applied"], again["applied"], again["duplicates"]) == (4, 0, 4)
