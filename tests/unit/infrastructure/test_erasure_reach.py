"""template.yaml lets an erasure reach every store and finish (docs/privacy.md, "Erasure"):

- AudienceBucket keeps no old versions (an old version would still hold the rows an erasure removed);
- every BackfillBucket prefix expires: history files, the Distributed Map's results, errors, counts,
  failed batches;
- every Distributed Map ResultWriter writes its children's outputs only (COMPACT), never their inputs:
  a batch's input is its raw history rows;
- ErasureStateMachine waits, between its passes, longer than any function that can read a user's data
  before writing something about them runs, and PrivacyFunction may start it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from winback_dev.template import sam_template

TEMPLATE: dict[str, Any] = sam_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
# Functions that read profiles or send states and then write about the user (a send, an outcome, a
# next step, an audience row, an import's profile): a job in flight when an erasure is accepted.
READERS_THAT_WRITE = (
    "IngestFunction",
    "SegmentFunction",
    "ScanFunction",
    "SendFunction",
    "ReleaseFunction",
    "SweepFunction",
    "FeedbackFunction",
    "ExportFunction",
    "BackfillFunction",
    "UnsubscribeFunction",
    "ReasonsFunction",
    "InboxFunction",
)


def _timeout(function: str) -> int:
    timeout = RESOURCES[function]["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"])
    return int(timeout)


def _states(states: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for state in states.values():
        yield state
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"]["States"])


def test_the_audience_bucket_keeps_no_old_versions() -> None:
    properties = RESOURCES["AudienceBucket"]["Properties"]
    assert properties.get("VersioningConfiguration", {}).get("Status", "Suspended") == "Suspended"
    rules = properties["LifecycleConfiguration"]["Rules"]
    assert any(r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == 1 for r in rules)


def test_every_backfill_prefix_expires() -> None:
    rules = RESOURCES["BackfillBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    days = {r["Prefix"]: r["ExpirationInDays"] for r in rules if r["Status"] == "Enabled" and "ExpirationInDays" in r}
    assert set(days) >= {"imports/", "errors/", "progress/", "results/", "failed/"}
    # Rows (history files; a failed child's result entry holds its input rows) go within a week.
    assert days["imports/"] <= 7 and days["results/"] <= 7


def test_result_writers_write_outputs_never_inputs() -> None:
    definition = RESOURCES["BackfillStateMachine"]["Properties"]["Definition"]
    writers = [s["ResultWriter"] for s in _states(definition["States"]) if "ResultWriter" in s]
    assert len(writers) == 3
    for writer in writers:
        # Without WriterConfig, Step Functions exports each child's input (raw rows) with its output.
        assert writer["WriterConfig"]["Transformation"] in ("COMPACT", "FLATTEN"), writer


def test_the_second_pass_waits_for_every_job_in_flight() -> None:
    from winback.models.erasure import SECOND_PASS_DELAY

    machine = RESOURCES["ErasureStateMachine"]["Properties"]
    waits = [s["Seconds"] for s in machine["Definition"]["States"].values() if s["Type"] == "Wait"]
    assert waits == [int(SECOND_PASS_DELAY.total_seconds())]
    longest = max(_timeout(f) for f in READERS_THAT_WRITE)
    assert waits[0] >= longest + 60, f"wait {waits[0]} s, a job may run {longest} s"


def test_the_privacy_function_starts_the_erasure_state_machine() -> None:
    privacy = RESOURCES["PrivacyFunction"]["Properties"]
    arn = privacy["Environment"]["Variables"]["ERASURE_STATE_MACHINE_ARN"]["Fn::Sub"]
    assert arn.endswith(":stateMachine:${AWS::StackName}-erasure")
    assert RESOURCES["ErasureStateMachine"]["Properties"]["Name"] == {"Fn::Sub": "${AWS::StackName}-erasure"}
    starts = [
        s for p in privacy["Policies"] for s in p.get("Statement", []) if "states:StartExecution" in s.get("Action", [])
    ]
    assert [s["Resource"] for s in starts] == [{"Fn::Sub": arn}]
