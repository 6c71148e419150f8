"""A bulk operation's workflow: `operation-<operation id>`, one per operation.

It holds nothing: the operation's record (`aggregates.operation`) says which routes are left,
so each step is an activity that acts on the next routes and records their outcomes, until none
is left. A worker lost mid-step loses the step's attempt: the activity is tried again (its
heartbeat stops, so after `STEP_SILENCE`) and finds the routes the lost attempt applied already
done. The history stays short: a step is a few events, and a long operation continues as new.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import BULK_WORKFLOW, BulkInput

STEP_CALL = timedelta(minutes=10)
STEP_SILENCE = timedelta(seconds=10)
"""A step heartbeats while it acts on routes; one silent this long was lost with its worker."""
STEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
STEPS_PER_RUN = 200


@workflow.defn(name=BULK_WORKFLOW)
class BulkOperationWorkflow:
    """Drive one bulk operation until each of its routes has an outcome."""

    @workflow.run
    async def run(self, start: BulkInput) -> None:
        """Step until the operation has no route left."""
        steps = 0
        while True:
            left: int = await workflow.execute_activity(
                "run_bulk_step",
                start,
                result_type=int,
                start_to_close_timeout=STEP_CALL,
                heartbeat_timeout=STEP_SILENCE,
                retry_policy=STEP_RETRY,
            )
            if left == 0:
                return
            steps += 1
            if steps == STEPS_PER_RUN:
                workflow.continue_as_new(start)
