"""Data subject rights end to end: after a demo-like run through the real handlers (webhooks, stats,
plan, scan, send, a deferred job, an unsubscribe, a reason answer, an audience export, a history
import, a send job queued and one on the DLQ), erasing a user leaves nothing of them anywhere: every
item of every table, every object version of both buckets and every message of every queue, with the
JSON held inside stored strings decoded (a deferred job's body holds the id as `\\"u-03\\"`); export
lists it all first. An erasure is a state: a send job in flight does not mail the user or write under
their id, and data arriving later (a webhook retried after its 24-hour record, a Segment call
re-posted, the history imported again) never rebuilds the profile.

Guards: services/privacy/erasure.py (the state written before the 202, then the two passes) and
adapters/user_records.py (what each pass reaches); the erased send state (models/erasure.py) that
fails a claim's condition and services/send/claim.py, which reads it as "erased"; services/send/gone.py
(a job read after the erasure drops the user); the tombstone checks at the doors
(ActivityStore.tombstone_guard, BackfillStore.read); SuppressionStore's hashed keys; ERASED_OWNER.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from tests.integration.conftest import Stack
from tests.integration.helpers import (
    dormant_profile,
    get_profile,
    invoke_send,
    sample_event,
    sent_emails,
    suppression_item,
)
from winback.adapters.coupon_store import CouponStore
from winback.adapters.deferral_store import DeferralStore
from winback.adapters.messaging_store import MessagingStore
from winback.domain.audience.hashing import audience_row
from winback.domain.links.reason_links import sign_reason_token
from winback.domain.links.tokens import sign_token
from winback.runtime.deps import deps
from winback_dev import backfill

NOW = datetime.now(UTC)
USERS = [f"u-{n:02d}" for n in range(16)]
TABLES = ("ActivityTable", "SuppressionTable", "MessagingTable", "DeferralTable", "IncentiveTable", "IdempotencyTable")
BUCKETS = ("AudienceBucket", "BackfillBucket")
QUEUES = ("ScanQueue", "ScanDLQ", "SendQueue", "SendDLQ", "FeedbackDLQ")
_ID_CHARS = "A-Za-z0-9_.:@+-"  # USER_ID_PATTERN's characters: an id is a whole token of them


def _email(user: str) -> str:
    return f"{user}@mail.example.com"


def _phone(n: int) -> str:
    return f"+1415555{n:04d}"


def _seed(stack: Stack) -> None:
    runner = stack.runner
    for n, user in enumerate(USERS):
        long_ago = NOW - timedelta(days=130 + n)
        events: list[dict[str, Any]] = [
            {
                "user_id": user,
                "type": "profile",
                "occurred_at": long_ago.isoformat(),
                "properties": {
                    "name": f"Name {n}",
                    "email": _email(user),
                    "phone": _phone(n),
                    "locale": "en",
                    "time_zone": "UTC",
                    "consent": {"email": True, "sms": True, "ads": True},
                },
            },
            {"user_id": user, "type": "login", "occurred_at": long_ago.isoformat()},
            {
                "user_id": user,
                "type": "order",
                "occurred_at": (long_ago + timedelta(days=1)).isoformat(),
                "properties": {"amount": "20.00", "currency": "USD", "item_id": f"sku-{n}", "category": "shoes"},
            },
        ]
        assert runner.post_events(events)["statusCode"] == 200
    runner.fire_schedule(NOW - timedelta(hours=2), "stats")
    runner.fire_schedule(NOW, "plan")
    runner.drain("ScanQueue", "scan")
    runner.drain("SendQueue", "send")
    runner.fire_schedule(NOW, "export")


# --- everything stored, decoded ------------------------------------------------------------------


def _decoded(value: Any) -> Any:
    """`value` with every string that holds JSON parsed, all the way down."""
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_decoded(v) for v in value]
    if isinstance(value, bytes):
        return _decoded(value.decode("utf-8", "replace"))
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _decoded(json.loads(value))
        except ValueError:
            return value
    return value


def _text(value: Any) -> str:
    """The decoded value as JSON, plus every string in it once more as plain text (a CSV line, a key)."""
    decoded = _decoded(value)
    return json.dumps(decoded, sort_keys=True, ensure_ascii=False, default=str) + "\n" + "\n".join(_strings(decoded))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def _table_items(stack: Stack) -> list[tuple[str, str]]:
    dynamodb, de = boto3.client("dynamodb"), TypeDeserializer()
    found = []
    for table in TABLES:
        for page in dynamodb.get_paginator("scan").paginate(TableName=stack.table(table)):
            found += [(table, _text({k: de.deserialize(v) for k, v in item.items()})) for item in page["Items"]]
    return found


def _bucket_objects(stack: Stack) -> list[tuple[str, str]]:
    """Every version of every object of both buckets (an old version holds what it held)."""
    s3 = boto3.client("s3")
    found = []
    for logical in BUCKETS:
        bucket = stack.table(logical)
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
                found.append((f"{logical}/{version['Key']}", version["Key"] + "\n" + _text(body)))
    return found


def _queue_messages(stack: Stack) -> list[tuple[str, str]]:
    """Every message of every queue and DLQ, read and made visible again."""
    sqs = boto3.client("sqs")
    found = []
    for logical in QUEUES:
        url = stack.table(logical)
        handles = []
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages", []
        ):
            found += [(logical, _text(m["Body"])) for m in messages]
            handles += [m["ReceiptHandle"] for m in messages]
        for handle in handles:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return found


def _everything(stack: Stack) -> list[tuple[str, str]]:
    return _table_items(stack) + _bucket_objects(stack) + _queue_messages(stack)


def _traces(user: str, n: int) -> list[re.Pattern[str]]:
    """What gives the user away: their id as a whole token anywhere (a JSON value, a key such as
    `user#u-03`, a CSV cell, inside a message), their address, their number, their audience hashes."""
    plain = [_email(user), _phone(n), *[c for c in audience_row(_email(user), _phone(n)) or () if c]]
    token = re.compile(rf"(?<![{_ID_CHARS}]){re.escape(user)}(?![{_ID_CHARS}])")
    return [token, *(re.compile(re.escape(p)) for p in plain)]


def _leftovers(found: list[tuple[str, str]], user: str, n: int) -> list[tuple[str, str]]:
    return [(where, text[:300]) for where, text in found for t in _traces(user, n) if t.search(text)]


# --- the stores a seeded run leaves beside the tables ----------------------------------------------


def _history(users: list[str]) -> tuple[bytes, bytes]:
    """A JSON Lines and a CSV history file with rows of `users` (and one bad row, for errors/)."""
    lines = [
        {
            "user_id": u,
            "type": "order",
            "occurred_at": (NOW - timedelta(days=200 + i)).isoformat(),
            "properties": {"amount": "9.50", "currency": "USD", "email": _email(u)},
        }
        for i, u in enumerate(users)
    ]
    jsonl = "".join(json.dumps(row) + "\n" for row in lines) + '{"user_id": "bad row"}\n'
    csv_text = "user_id,type,occurred_at\n" + "".join(
        f"{u},login,{(NOW - timedelta(days=300 + i)).isoformat()}\n" for i, u in enumerate(users)
    )
    return jsonl.encode(), csv_text.encode()


def _import(stack: Stack, files: dict[str, bytes], run_id: str) -> dict[str, int]:
    bucket = stack.table("BackfillBucket")
    for key, body in files.items():
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
    return backfill.play_import(bucket, "imports/", run_id)


def _failed_child_result(stack: Stack, users: list[str]) -> str:
    """What Step Functions writes for a failed Distributed Map child, whatever the WriterConfig: the
    execution's metadata, its input (the batch's rows) as a JSON string."""
    batch = {"Items": [{"row": {"user_id": u, "type": "login"}, "index": i} for i, u in enumerate(users)]}
    entry = {
        "ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:x:1",
        "Input": json.dumps(batch),
        "Status": "FAILED",
        "Error": "States.TaskFailed",
    }
    key = "results/batches/import-1/0000/FAILED_0.json"
    boto3.client("s3").put_object(Bucket=stack.table("BackfillBucket"), Key=key, Body=json.dumps([entry]).encode())
    return key


def _failed_batch_record(stack: Stack, user: str) -> str:
    """What the row map's Catch records for a batch that failed after its retries (failed/<run>/): no
    rows, but the error it carries may quote one (here, the user id)."""
    record = {
        "run_id": "import-1",
        "key": "imports/history.jsonl",
        "first_index": 0,
        "rows": 2,
        "error": {"Error": "ValueError", "Cause": f"bad row for user_id {user}"},
    }
    key = "failed/import-1/imports/history.jsonl@0.json"
    boto3.client("s3").put_object(Bucket=stack.table("BackfillBucket"), Key=key, Body=json.dumps(record).encode())
    return key


def _versioned_exports(stack: Stack) -> None:
    """A bucket still versioned (deployed before versioning was suspended, or turned on by hand): the
    export written twice more, as two more versions. (moto drops a key's other versions when a
    suspended bucket writes its "null" version, which S3 does not, so the bucket stays versioned here.)"""
    s3, bucket = boto3.client("s3"), stack.table("AudienceBucket")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    stack.runner.fire_schedule(NOW, "export")
    stack.runner.fire_schedule(NOW, "export")


def _queue_job(stack: Stack, logical: str, users: list[str]) -> None:
    job = {
        "run_id": "run-q",
        "campaign_id": "dormant-offer",
        "step": 1,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": "e", "arm": "coupon", "segment": "s"} for u in users],
    }
    boto3.client("sqs").send_message(QueueUrl=stack.table(logical), MessageBody=json.dumps(job))


def _redrive(stack: Stack) -> None:
    """Move the send DLQ's messages back to the send queue (StartMessageMoveTask, as an operator does)."""
    sqs = boto3.client("sqs")
    while messages := sqs.receive_message(QueueUrl=stack.table("SendDLQ"), MaxNumberOfMessages=10).get("Messages", []):
        for m in messages:
            sqs.send_message(QueueUrl=stack.table("SendQueue"), MessageBody=m["Body"])
            sqs.delete_message(QueueUrl=stack.table("SendDLQ"), ReceiptHandle=m["ReceiptHandle"])


def _erase(stack: Stack, user: str) -> str | None:
    """DELETE /users/{user}; the accepted request's id. (Also taken: an erasure done before it answers,
    as it was before erasure became a state, so each test fails on what it checks, not on the code.)"""
    reply = stack.runner.http("DELETE", f"/users/{user}", {}, iam=True)
    assert reply["statusCode"] in (200, 202), reply
    request_id: str | None = json.loads(reply["body"]).get("request_id")
    return request_id


def test_erasure_reaches_every_store_and_leaves_the_others(stack: Stack) -> None:
    _seed(stack)
    _versioned_exports(stack)
    target, other = "u-03", "u-04"
    n = USERS.index(target)
    job = {
        "run_id": "run-1",
        "campaign_id": "dormant-offer",
        "step": 1,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": "e", "arm": "coupon", "segment": "s"} for u in (target, other)],
    }
    DeferralStore(stack.table("DeferralTable")).defer("job-1", json.dumps(job), NOW + timedelta(hours=3), "capped")
    unsubscribe = sign_token(stack.unsubscribe_key, target, "email", "dormant-offer", NOW, timedelta(days=30))
    assert stack.runner.http("POST", "/unsubscribe", {"token": unsubscribe})["statusCode"] == 200
    reason = sign_reason_token(stack.unsubscribe_key, target, "lost-question", "e1", "forgot", NOW, timedelta(days=3))
    assert stack.runner.http("POST", "/reasons", {"token": reason})["statusCode"] == 200
    jsonl, csv_file = _history([target, other, "u-05"])
    assert _import(stack, {"imports/history.jsonl": jsonl, "imports/history.csv": csv_file}, "import-1")["rejected"]
    failed = _failed_child_result(stack, [target, other])
    failed_batch = _failed_batch_record(stack, target)
    _queue_job(stack, "SendQueue", [target, other])
    _queue_job(stack, "SendDLQ", [target, "u-05"])

    before = _everything(stack)
    stores = ("ActivityTable", "MessagingTable", "DeferralTable", "IncentiveTable", "AudienceBucket", "BackfillBucket")
    assert {where.split("/")[0] for where, _ in _leftovers(before, target, n)} >= {*stores, "SendQueue", "SendDLQ"}
    exported = stack.runner.http("GET", f"/users/{target}/export", {}, iam=True)
    assert exported["statusCode"] == 200
    document = json.loads(exported["body"])
    assert document["profile"]["email"] == _email(target) and document["consent"]["email"] is False
    assert document["answers"] and document["deferred_sends"] and document["suppression"]
    assert stack.runner.http("GET", f"/users/{target}/export", {})["statusCode"] == 403  # IAM only

    _erase(stack, target)

    # A job on the queue and one redriven from the DLQ after the erasure: the user is dropped, never
    # sent to nor carried on; the queues end empty.
    mailed = len(sent_emails())
    _redrive(stack)
    stack.runner.drain("SendQueue", "send")
    assert all(_email(target) not in str(m.destinations) for m in sent_emails()[mailed:])
    after = _everything(stack)
    assert not [q for q, _ in _queue_messages(stack)]
    leftovers = _leftovers(after, target, n)
    assert leftovers == [], leftovers
    s3 = boto3.client("s3")
    for key in (failed, failed_batch):
        with pytest.raises(s3.exceptions.ClientError):
            s3.head_object(Bucket=stack.table("BackfillBucket"), Key=key)

    # Others keep everything: their profile, their place in the deferred job, their audience rows and
    # history rows.
    assert any(_email(other) in text for where, text in after if where == "ActivityTable")
    assert any(f'"{other}"' in text for where, text in after if where == "DeferralTable")
    other_row = audience_row(_email(other), _phone(USERS.index(other))) or ()
    assert any(other_row[0] in text for where, text in after if where.endswith(".csv") and "Audience" in where)
    assert any(other in text for where, text in after if where == "BackfillBucket/imports/history.csv")
    # The erased user stays suppressed, hashed only; the tombstone holds the hash, nothing else.
    assert suppression_item(f"email#{_email(target)}") is not None
    assert all(f"email#{_email(target)}" not in text for _, text in after)

    # Idempotent: a second erasure removes nothing more (only its own request and the tombstone's date).
    _erase(stack, target)

    def stable(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(w, t) for w, t in found if "erasure#" not in t and "erased#" not in t]

    assert stable(_everything(stack)) == stable(after)


def test_an_erasure_is_accepted_at_once_and_followed_by_its_request(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DELETE answers 202 with a request id once the erasure is a state; ErasureStateMachine is started
    with an input that names only the request (Step Functions keeps it 90 days); GET /erasures/{id}
    (IAM only) follows it and never shows the user id, only its SHA-256."""
    from winback.runtime.deps import reset

    target = "u-async"
    dormant_profile(target, NOW - timedelta(days=100))
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="winback-erasure",
        definition=json.dumps({"StartAt": "Erased", "States": {"Erased": {"Type": "Succeed"}}}),
        roleArn="arn:aws:iam::123456789012:role/erasure",
    )["stateMachineArn"]
    monkeypatch.setenv("ERASURE_STATE_MACHINE_ARN", machine)
    reset()
    stack.runner.play_erasures = False  # the state machine was started; the test plays it below
    reply = stack.runner.http("DELETE", f"/users/{target}", {}, iam=True)
    assert reply["statusCode"] == 202, reply
    accepted = json.loads(reply["body"])
    request_id = accepted["request_id"]
    assert accepted["status"] == "accepted" and accepted["status_url"] == f"/erasures/{request_id}"
    assert get_profile(target) is None  # already a state: the profile is gone from every reader
    [execution] = sfn.list_executions(stateMachineArn=machine)["executions"]
    assert execution["name"] == request_id
    started = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(started["input"]) == {"request_id": request_id, "pass": 1}

    status = stack.runner.http("GET", f"/erasures/{request_id}", {}, iam=True)
    assert status["statusCode"] == 200 and json.loads(status["body"])["status"] == "accepted"
    assert stack.runner.http("GET", f"/erasures/{request_id}", {})["statusCode"] == 403
    assert stack.runner.http("GET", f"/erasures/{'0' * 32}", {}, iam=True)["statusCode"] == 404
    first = sample_event("privacy_erasure_pass.json")  # the state machine's first Task, as it invokes us
    first["erasure"]["request_id"] = request_id
    assert stack.invoke("privacy", first) == {"request_id": request_id, "pass": 1, "stage": "done", "after": ""}
    status = stack.runner.http("GET", f"/erasures/{request_id}", {}, iam=True)
    assert json.loads(status["body"])["status"] == "first_pass_done"
    stack.runner.play_erasure(request_id)  # the whole state machine, as it runs on AWS
    found = json.loads(stack.runner.http("GET", f"/erasures/{request_id}", {}, iam=True)["body"])
    assert found["status"] == "erased" and found["subject"] == hashlib.sha256(target.encode()).hexdigest()
    assert found["removed"]["profile"] == 1 and found["first_pass_at"] <= found["erased_at"]
    assert target not in json.dumps(found) + json.dumps(accepted)


# --- a send job in flight ------------------------------------------------------------------------

LAST_ORDER = NOW - timedelta(days=100)
EPISODE = LAST_ORDER.isoformat()


def _send_job(*users: str, step: int = 0) -> dict[str, Any]:
    return {
        "run_id": "run-flight",
        "campaign_id": "dormant-offer",
        "step": step,
        "tier": "dormant",
        "recipients": [{"user_id": u, "episode": EPISODE, "arm": "coupon", "segment": "all"} for u in users],
    }


def _passes(stack: Stack, request_id: str | None, which: int) -> None:
    """One pass of the erasure's state machine, as its Task and Choice states run it."""
    if request_id is None:
        return
    task: dict[str, Any] = {"request_id": request_id, "pass": which}
    while task.get("stage") != "done":
        task = stack.invoke("privacy", {"erasure": task})


def _erased_counts() -> dict[str, int]:
    return MessagingStore(deps().settings.messaging_table).counters("dormant-offer").get(0, {})


@pytest.mark.parametrize("first_pass", [False, True], ids=["accepted", "first-pass-done"])
def test_a_send_job_that_read_the_user_before_the_erasure_does_not_mail_them(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, first_pass: bool
) -> None:
    """The job reads the profile and send state, then the erasure is accepted (and its first pass has
    run, or not yet), then the job claims. Guards: the erased send state, which the first pass keeps
    (erasure.py, `_Pass._tables`), and claim.py's "erased"."""
    target, other = "u-flight", "u-stays"
    for user in (target, other):
        dormant_profile(user, LAST_ORDER)
    stack.runner.play_erasures = False
    loader = type(deps().send_context)
    load = loader.load
    accepted: list[str | None] = []

    def load_then_erase(self: Any, *args: Any, **kwargs: Any) -> Any:
        context = load(self, *args, **kwargs)
        if not accepted:
            accepted.append(_erase(stack, target))
            if first_pass:
                _passes(stack, accepted[0], 1)
        return context

    monkeypatch.setattr(loader, "load", load_then_erase)
    assert invoke_send(stack, _send_job(target, other))["batchItemFailures"] == []
    recipients = [str(m.destinations) for m in sent_emails()]
    assert any(_email(other) in r for r in recipients) and not any(_email(target) in r for r in recipients)
    assert _erased_counts().get("erased") == 1
    # Nothing of the send written back under the erased id: no outcome, no next step, no coupon.
    monkeypatch.setattr(loader, "load", load)
    if not first_pass:
        _passes(stack, accepted[0], 1)
    _passes(stack, accepted[0], 2)
    assert _leftovers(_everything(stack), target, 0) == []


def test_what_a_send_claimed_before_the_erasure_writes_is_gone_after_the_second_pass(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The job claims and calls the provider; the erasure is accepted and its first pass runs before
    the job writes its outcome, next step and coupon; the second pass removes them."""
    from winback.adapters.channels import EmailChannel

    target = "u-claimed"
    dormant_profile(target, LAST_ORDER)
    stack.runner.play_erasures = False
    send = EmailChannel.send
    accepted: list[str | None] = []

    def send_then_erase(self: EmailChannel, message: Any) -> str:
        message_id = send(self, message)
        accepted.append(_erase(stack, target))
        _passes(stack, accepted[0], 1)  # runs while the job still holds what it will write
        return message_id

    monkeypatch.setattr(EmailChannel, "send", send_then_erase)
    assert invoke_send(stack, _send_job(target))["batchItemFailures"] == []
    written = _leftovers(_everything(stack), target, 0)
    assert {w for w, _ in written} >= {"MessagingTable", "DeferralTable"}, written
    _passes(stack, accepted[0], 2)
    assert _leftovers(_everything(stack), target, 0) == []


def test_a_release_after_the_erasure_gives_nothing_back_and_fails_nothing(stack: Stack) -> None:
    """A claim made before the erasure, released after it (the render failed, the provider throttled):
    the erased send state stays erased, and the release does not fail the job. Guard: the release's
    condition (MessagingStore.release)."""
    from winback.models.send_state import ClaimNote, SendState

    messaging = MessagingStore(deps().settings.messaging_table)
    key = f"dormant-offer#0#{EPISODE}"
    note = ClaimNote(at=int(NOW.timestamp()), arm="coupon", segment="all", channel="email")
    messaging.claim("u-released", key, "email", SendState(), {}, NOW, note, {"all": {}})
    stack.runner.play_erasures = False
    _erase(stack, "u-released")
    messaging.release("u-released", key, "email", ("all",))
    assert messaging.read_state("u-released").erased


def test_a_job_redriven_after_an_erasure_carries_the_user_no_further(stack: Stack) -> None:
    """A job on the DLQ (SQS keeps it 14 days) redriven after the erasure, for a paused campaign: the
    job is parked for later, without the erased user. Guard: services/send/gone.py."""
    target, other = "u-redriven", "u-parked"
    for user in (target, other):
        dormant_profile(user, LAST_ORDER)
    _erase(stack, target)
    MessagingStore(deps().settings.messaging_table).pause("dormant-offer", "operator", NOW)
    assert invoke_send(stack, _send_job(target, other))["batchItemFailures"] == []
    parked = [json.loads(text.split("\n", 1)[0]) for where, text in _table_items(stack) if where == "DeferralTable"]
    assert [[r["user_id"] for r in p["body"]["recipients"]] for p in parked] == [[other]]
    assert _leftovers(_everything(stack), target, 0) == []


def test_an_ingest_that_read_before_the_erasure_cannot_write_after_it(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request reads the profile, the erasure runs to its end, then the request writes: its write,
    conditioned on the version it read, fails; the re-read finds no profile and the write that would
    create one finds the tombstone. Guards: the stand-in and ActivityStore.tombstone_guard."""
    from winback.adapters.activity_store import ActivityStore

    target = "u-racing"
    event = {
        "user_id": target,
        "type": "profile",
        "occurred_at": (NOW - timedelta(days=1)).isoformat(),
        "properties": {"email": _email(target)},
    }
    assert stack.runner.post_events([event])["statusCode"] == 200
    get_many = ActivityStore.get_many
    erased: list[str | None] = []

    def read_then_erase(self: ActivityStore, user_ids: Any) -> Any:
        found = get_many(self, user_ids)
        if not erased:
            erased.append(_erase(stack, target))
        return found

    monkeypatch.setattr(ActivityStore, "get_many", read_then_erase)
    login = {"user_id": target, "type": "login", "occurred_at": NOW.isoformat()}
    reply = stack.runner.post_events([login])
    assert reply["statusCode"] == 200 and get_profile(target) is None
    assert json.loads(reply["body"]).get("erased") == 1


# --- data that arrives after the erasure ------------------------------------------------------------


def _segment_identify(stack: Stack, user: str) -> dict[str, Any]:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=stack.table("SegmentSecret"))["SecretString"]
    body = json.dumps(
        {
            "type": "identify",
            "userId": user,
            "messageId": f"seg-{user}",
            "timestamp": (NOW - timedelta(days=1)).isoformat(),
            "traits": {"email": _email(user), "name": "Replayed Name"},
        }
    )
    reply = stack.runner.post_segment(body, {"Authorization": f"Bearer {secret}"})
    assert reply["statusCode"] == 200, reply
    result: dict[str, Any] = json.loads(reply["body"])
    return result


def test_data_arriving_after_an_erasure_never_rebuilds_the_profile(stack: Stack) -> None:
    target, newcomer = "u-replay", "u-new"
    webhook = [
        {
            "user_id": target,
            "type": "profile",
            "occurred_at": (NOW - timedelta(days=2)).isoformat(),
            "properties": {"email": _email(target), "name": "Original", "consent": {"email": True}},
        }
    ]
    assert stack.runner.post_events(webhook, webhook_id="msg_replayed")["statusCode"] == 200
    _segment_identify(stack, target)
    history = {"imports/replay.jsonl": _history([target, newcomer])[0]}
    assert _import(stack, history, "import-r1")["applied"] >= 2
    assert get_profile(target) is not None

    _erase(stack, target)
    assert get_profile(target) is None

    # A Standard Webhooks sender retries after Powertools' 24-hour record expired (TTL deletes it).
    idempotency = stack.table("IdempotencyTable")
    for item in boto3.client("dynamodb").scan(TableName=idempotency)["Items"]:
        boto3.client("dynamodb").delete_item(TableName=idempotency, Key={"id": item["id"]})
    replay = stack.runner.post_events(webhook, webhook_id="msg_replayed")
    assert replay["statusCode"] == 200 and get_profile(target) is None
    assert json.loads(replay["body"]).get("erased") == 1  # dropped, and counted
    # A Segment call re-posted (that route has no request-level idempotency).
    reposted = _segment_identify(stack, target)
    assert get_profile(target) is None and reposted.get("erased") == 1
    # The same history imported again (the erasure removed the rows from the stored copy; the operator
    # uploads the original once more).
    again = _import(stack, history, "import-r2")
    assert get_profile(target) is None and get_profile(newcomer) is not None
    progress = backfill.progress(stack.table("BackfillBucket"), "import-r2")
    assert again["applied"] == 0 and progress["rows"] == 3
    # A brand-new user is not affected by anyone's tombstone.
    assert stack.runner.post_events([{**webhook[0], "user_id": "u-fresh"}])["statusCode"] == 200
    assert get_profile("u-fresh") is not None


def test_an_erased_coupon_owner_matches_no_shopper(stack: Stack) -> None:
    """Guard: ERASED_OWNER ("#erased") is no user id, so no check and no order can match it."""
    target = "u-coupon"
    dormant_profile(target, LAST_ORDER)
    coupon = CouponStore(stack.table("IncentiveTable")).issue(
        target, "dormant-offer", 0, "e1", 500, "USD", NOW + timedelta(days=7), None, NOW
    )
    assert coupon is not None
    _erase(stack, target)
    for shopper in ("erased", target):
        check = stack.runner.http("GET", f"/coupons/{coupon.code}", {"user_id": shopper}, iam=True)
        assert check["statusCode"] == 200 and json.loads(check["body"])["status"] != "valid", check
    order = [
        {
            "user_id": "erased",
            "type": "order",
            "occurred_at": NOW.isoformat(),
            "properties": {"amount": "30.00", "currency": "USD", "coupon_code": coupon.code},
        }
    ]
    reply = stack.runner.post_events(order)
    assert reply["statusCode"] == 200 and json.loads(reply["body"])["coupons_redeemed"] == 0


def test_plain_suppression_entries_are_honoured_then_migrated(stack: Stack) -> None:
    """Guards: SuppressionStore.suppressed asks for both forms in one BatchGetItem while plain_lookup
    is on; `winback migrate-suppression` (forget_plain) leaves only hashed keys."""
    from tests.integration.helpers import count_calls
    from winback.adapters.suppression_store import SuppressionStore
    from winback_dev.cli import main

    table = stack.table("SuppressionTable")
    plain = "email#old@mail.example.com"
    boto3.client("dynamodb").put_item(
        TableName=table, Item={"address": {"S": plain}, "reason": {"S": "complaint"}, "at": {"S": NOW.isoformat()}}
    )
    addresses = [plain] + [f"email#user{n}@mail.example.com" for n in range(49)]
    with count_calls() as calls:
        assert SuppressionStore(table).suppressed(addresses) == {plain}
    assert calls["BatchGetItem"] == 1
    assert SuppressionStore(table, plain_lookup=False).suppressed([plain]) == set()  # not yet migrated
    assert main(["migrate-suppression"]) == 0
    keys = [item["address"]["S"] for item in boto3.client("dynamodb").scan(TableName=table)["Items"]]
    assert keys and all(key.startswith("sha256#") for key in keys)
    assert SuppressionStore(table, plain_lookup=False).suppressed([plain]) == {plain}
    assert suppression_item(plain) is not None and suppression_item(plain)["reason"]["S"] == "complaint"  # type: ignore[index]
    assert main(["migrate-suppression"]) == 0  # safe to run again


def test_the_cli_erases_and_exports(stack: Stack, capsys: Any) -> None:
    from winback_dev.cli import main

    assert (
        stack.runner.post_events([{"user_id": "u-cli", "type": "login", "occurred_at": NOW.isoformat()}])["statusCode"]
        == 200
    )
    capsys.readouterr()
    assert main(["export-user", "u-cli"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"]["user_id"] == "u-cli"
    assert main(["erase", "u-cli"]) == 0
    erased = json.loads(capsys.readouterr().out)
    assert erased["status"] == "erased" and erased["removed"]["profile"] == 1 and "u-cli" not in json.dumps(erased)
    assert get_profile("u-cli") is None


def test_a_profile_expires_after_the_configured_days_only_when_set(stack: Stack, monkeypatch: Any) -> None:
    """Guard: ActivityStore._item's expires_at (PROFILE_TTL_DAYS; 0, the default, keeps profiles)."""
    from winback.runtime.deps import reset

    seen = NOW - timedelta(days=2)
    event = [{"user_id": "u-ttl", "type": "login", "occurred_at": seen.isoformat()}]
    assert stack.runner.post_events(event)["statusCode"] == 200
    item = boto3.client("dynamodb").get_item(TableName=stack.table("ActivityTable"), Key={"user_id": {"S": "u-ttl"}})
    assert "expires_at" not in item["Item"]
    monkeypatch.setenv("PROFILE_TTL_DAYS", "400")
    reset()
    event = [{"user_id": "u-ttl", "type": "view", "occurred_at": seen.isoformat()}]
    assert stack.runner.post_events(event)["statusCode"] == 200
    item = boto3.client("dynamodb").get_item(TableName=stack.table("ActivityTable"), Key={"user_id": {"S": "u-ttl"}})
    assert int(item["Item"]["expires_at"]["N"]) == int((seen + timedelta(days=400)).timestamp())
