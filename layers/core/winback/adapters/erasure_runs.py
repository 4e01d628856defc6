"""ErasureStateMachine (template.yaml): an accepted erasure's two passes, started by request id.

The execution is named after the request and its input names only the request: Step Functions keeps
an execution's input and output in its history for 90 days, so neither holds the user id (the passes
read it from the request record, which drops it when they are done). Where no state machine is named
(the local runner, the demo, the tests), nothing is started here: the runner plays the state machine
itself (tooling/winback_dev/erasure.py).
"""

from __future__ import annotations

import json

from winback.adapters import clients


class ErasureRuns:
    def __init__(self, state_machine_arn: str) -> None:
        self.state_machine_arn = state_machine_arn

    def start(self, request_id: str) -> str | None:
        """Start the request's passes; the execution's ARN (None: the runner plays them locally)."""
        if not self.state_machine_arn:
            return None
        reply = clients.stepfunctions().start_execution(
            stateMachineArn=self.state_machine_arn,
            name=request_id,
            input=json.dumps({"request_id": request_id, "pass": 1}),
        )
        return str(reply["executionArn"])
