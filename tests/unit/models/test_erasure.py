"""The erasure's own records (models/erasure.py): a tombstone key or the erased coupon owner can never
be a user id, a stand-in and a tombstone are no profiles, and a batch read tells the erased apart.
Guards: `#` outside USER_ID_PATTERN (TOMBSTONE_PREFIX, ERASED_OWNER), `is_profile_item`, `erased_among`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from winback.models.erasure import (
    ERASED_OWNER,
    ErasureTask,
    erased_among,
    erased_id,
    is_profile_item,
    tombstone_key,
)
from winback.models.ids import USER_ID_PATTERN
from winback.services.privacy.tombstone import drop_erased

USER_IDS = st.from_regex(USER_ID_PATTERN, fullmatch=True)


@given(USER_IDS)
def test_a_tombstone_key_is_never_a_user_id(user_id: str) -> None:
    key = tombstone_key(user_id)["user_id"]
    assert not re.fullmatch(USER_ID_PATTERN, key)
    assert key == "erased#" + erased_id(user_id) and len(erased_id(user_id)) == 64


def test_the_erased_coupon_owner_is_no_user_id() -> None:
    assert not re.match(USER_ID_PATTERN, ERASED_OWNER)


def test_tombstones_and_stand_ins_are_no_profiles() -> None:
    assert is_profile_item({"user_id": "u1", "version": 3, "doc": "{}"})
    assert not is_profile_item(tombstone_key("u1"))
    assert not is_profile_item({"user_id": "u1", "erasing": "r" * 32, "addresses": ["inbox#u1"]})


def test_a_batch_read_tells_the_erased_apart() -> None:
    items: list[dict[str, Any]] = [
        {"user_id": "live", "version": 1},
        tombstone_key("gone"),
        {"user_id": "erasing", "erasing": "r" * 32},
        tombstone_key("someone-else"),
    ]
    assert erased_among(["live", "gone", "erasing", "new"], items) == {"gone", "erasing"}
    by_user = {"live": [1], "gone": [1, 2], "erasing": [3]}
    assert drop_erased(by_user, {"gone", "erasing"}) == 3 and by_user == {"live": [1]}


def test_an_erasure_task_names_only_a_request() -> None:
    task = ErasureTask.model_validate({"request_id": "a" * 32, "pass": 2})
    assert task.model_dump(by_alias=True) == {"request_id": "a" * 32, "pass": 2, "stage": "tables", "after": ""}
    with pytest.raises(ValidationError):
        ErasureTask.model_validate({"request_id": "u-03", "pass": 1})
    with pytest.raises(ValidationError):
        ErasureTask.model_validate({"request_id": "a" * 32, "pass": 3})
