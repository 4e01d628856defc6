"""models/events.py: the webhook body, one event or {"events": [...]} of up to 100."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from winback.models.events import MAX_EVENTS_PER_REQUEST, parse_body

AT = "2025-06-01T12:00:00Z"


def body(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"user_id": "u1", "type": "login", "occurred_at": AT}
    event.update(overrides)
    return event


def props(**properties: Any) -> dict[str, Any]:
    return body(type="profile", properties=properties)


def error_locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[int | str, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def test_single_event_body_parses_to_one_event() -> None:
    events = parse_body(body())
    assert len(events) == 1
    assert events[0].user_id == "u1"
    assert events[0].type == "login"
    assert events[0].occurred_at.utcoffset() is not None


def test_batch_body_parses_in_order() -> None:
    events = parse_body({"events": [body(user_id="a"), body(user_id="b")]})
    assert [e.user_id for e in events] == ["a", "b"]


def test_batch_of_max_size_is_accepted() -> None:
    assert MAX_EVENTS_PER_REQUEST == 100
    assert len(parse_body({"events": [body(user_id=f"u{i}") for i in range(100)]})) == 100


def test_batch_over_max_size_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body({"events": [body(user_id=f"u{i}") for i in range(101)]})
    assert error_locs(exc) == [("events",)]


def test_empty_batch_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_body({"events": []})


@pytest.mark.parametrize("raw", [None, [], "login", 42])
def test_non_object_body_is_rejected(raw: object) -> None:
    with pytest.raises(ValidationError):
        parse_body(raw)


def test_invalid_field_in_batch_is_reported_with_its_location() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body({"events": [body(), body(occurred_at="yesterday"), body()]})
    assert error_locs(exc) == [("events", 1, "occurred_at")]


def test_invalid_nested_property_is_reported_with_its_location() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body({"events": [body(), props(email="nope")]})
    assert error_locs(exc) == [("events", 1, "properties", "email")]


@pytest.mark.parametrize("naive", ["2025-06-01T12:00:00", "2025-06-01 12:00:00"])
def test_naive_datetime_is_rejected(naive: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(body(occurred_at=naive))
    assert error_locs(exc) == [("occurred_at",)]


def test_offset_datetime_is_accepted() -> None:
    (event,) = parse_body(body(occurred_at="2025-06-01T20:00:00+08:00"))
    assert event.occurred_at.isoformat() == "2025-06-01T20:00:00+08:00"


@pytest.mark.parametrize(
    "properties",
    [{}, {"amount": "10.00"}, {"currency": "USD"}],
)
def test_order_without_amount_and_currency_is_rejected(properties: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=r"amount and properties\.currency"):
        parse_body(body(type="order", properties=properties))


def test_order_with_amount_and_currency_parses() -> None:
    (event,) = parse_body(body(type="order", properties={"amount": "19.99", "currency": "USD"}))
    assert str(event.properties.amount) == "19.99"
    assert event.properties.currency == "USD"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-1"),
        ("amount", "10000000.01"),
        ("amount", "1.00001"),
        ("currency", "usd"),
        ("currency", "US"),
    ],
)
def test_invalid_order_values_are_rejected(field: str, value: str) -> None:
    properties = {"amount": "1.00", "currency": "USD", field: value}
    with pytest.raises(ValidationError) as exc:
        parse_body(body(type="order", properties=properties))
    assert ("properties", field) in error_locs(exc)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [("Ada@Example.COM", "ada@example.com"), ("  ada@example.com ", "ada@example.com")],
)
def test_email_is_normalized_lower_case(raw: str, normalized: str) -> None:
    (event,) = parse_body(props(email=raw))
    assert event.properties.email == normalized


@pytest.mark.parametrize("bad", ["ada", "ada@", "@example.com", "ada@example", "a da@example.com"])
def test_invalid_email_is_rejected(bad: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(props(email=bad))
    assert error_locs(exc) == [("properties", "email")]


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 (415) 555-2671", "+14155552671"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("+442079460958", "+442079460958"),
    ],
)
def test_phone_is_normalized_to_e164(raw: str, e164: str) -> None:
    (event,) = parse_body(props(phone=raw))
    assert event.properties.phone == e164


@pytest.mark.parametrize("bad", ["4155552671", "not a phone", "+1 555", "+999 123456", ""])
def test_invalid_phone_is_rejected(bad: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(props(phone=bad))
    assert error_locs(exc) == [("properties", "phone")]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_known_time_zone_is_accepted(zone: str) -> None:
    (event,) = parse_body(props(time_zone=zone))
    assert event.properties.time_zone == zone


@pytest.mark.parametrize(
    "zone",
    [
        "Mars/Olympus_Mons",
        "",
        "../../etc/passwd",
        "/etc/localtime",
        "America/New_York/",
        # Directories of the tz database, not zones: ZoneInfo raises IsADirectoryError for these.
        "America",
        "Europe",
    ],
)
def test_unknown_time_zone_is_a_validation_error(zone: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(props(time_zone=zone))
    assert error_locs(exc) == [("properties", "time_zone")]


def test_unknown_top_level_field_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(body(colour="red"))
    assert exc.value.errors()[0]["type"] == "extra_forbidden"
    assert error_locs(exc) == [("colour",)]


def test_unknown_property_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(props(shoe_size=42))
    assert error_locs(exc) == [("properties", "shoe_size")]


def test_unknown_consent_channel_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(props(consent={"fax": True}))
    assert error_locs(exc) == [("properties", "consent", "fax")]


def test_unknown_batch_level_field_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body({"events": [body()], "source": "app"})
    assert error_locs(exc) == [("source",)]


def test_unknown_event_type_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(body(type="purchase"))
    assert error_locs(exc) == [("type",)]


@pytest.mark.parametrize("user_id", ["u1", "user-42", "a.b_c:d@e+f", "x" * 128])
def test_valid_user_ids_are_accepted(user_id: str) -> None:
    assert parse_body(body(user_id=user_id))[0].user_id == user_id


@pytest.mark.parametrize("user_id", ["", "has space", "slash/inside", "ümlaut", "x" * 129, "line\nbreak"])
def test_invalid_user_ids_are_rejected(user_id: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(body(user_id=user_id))
    assert error_locs(exc) == [("user_id",)]


def test_missing_required_fields_are_each_reported() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body({"type": "login"})
    assert sorted(error_locs(exc)) == [("occurred_at",), ("user_id",)]


def test_push_endpoint_must_be_an_sns_endpoint_arn() -> None:
    with pytest.raises(ValidationError) as exc:
        parse_body(props(push_endpoint="https://example.com/push"))
    assert error_locs(exc) == [("properties", "push_endpoint")]
