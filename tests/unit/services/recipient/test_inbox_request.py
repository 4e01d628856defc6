"""GET /users/{user_id}/inbox?limit=: which requests are valid (pure validation, no AWS)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from winback.services.recipient.inbox import DEFAULT_LIMIT, MAX_LIMIT, InboxRequest


def test_limit_defaults_to_twenty() -> None:
    assert InboxRequest(user_id="u-1001").limit == DEFAULT_LIMIT == 20


@pytest.mark.parametrize("limit", ["1", "20", "50"])
def test_limit_from_the_query_string_is_parsed(limit: str) -> None:
    assert InboxRequest.model_validate({"user_id": "u1", "limit": limit}).limit == int(limit)


@pytest.mark.parametrize("limit", ["0", "-1", str(MAX_LIMIT + 1), "ten", "5,10", "", "2.5"])
def test_limit_outside_one_to_fifty_is_rejected_naming_the_field(limit: str) -> None:
    with pytest.raises(ValidationError) as caught:
        InboxRequest.model_validate({"user_id": "u1", "limit": limit})
    assert [e["loc"] for e in caught.value.errors()] == [("limit",)]


@pytest.mark.parametrize("user_id", ["u-1001", "ann@shop.example", "tenant:42", "a+b_c.d", "x" * 128])
def test_user_ids_of_the_webhook_pattern_are_accepted(user_id: str) -> None:
    assert InboxRequest(user_id=user_id).user_id == user_id


@pytest.mark.parametrize("user_id", ["", "a/b", "a b", "x" * 129, "用户", "u1\n"])
def test_other_user_ids_are_rejected_naming_the_field(user_id: str) -> None:
    with pytest.raises(ValidationError) as caught:
        InboxRequest(user_id=user_id)
    assert [e["loc"] for e in caught.value.errors()] == [("user_id",)]


def test_unknown_parameters_are_rejected() -> None:
    with pytest.raises(ValidationError):
        InboxRequest.model_validate({"user_id": "u1", "limit": 5, "offset": 10})
