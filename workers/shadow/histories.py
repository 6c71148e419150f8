"""Shadow replay, part three: every workflow history replayed on the new workflow code with the
SDK's `Replayer`, so that a change that would make running workflows nondeterministic is found
before the deploy, not by the workers after it.

Histories come from the Temporal server (every run on the task queue, of a workflow type the
worker registers, fetched a few at a time: `server_histories`) or from files of recorded
histories (`file_histories`, what CI replays).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from temporalio.client import Client, WorkflowExecution, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workers.shadow.findings import Finding, route_of_workflow
from workers.temporal import sandbox


async def server_histories(
    client: Client, task_queue: str, workflows: Sequence[type], concurrency: int = 8
) -> AsyncIterator[WorkflowHistory]:
    """The history of every run on `task_queue` of a type among `workflows`, at most
    `concurrency` fetched at once (read-only: listing and fetching histories)."""
    names = {_name(workflow) for workflow in workflows}
    chunk: list[WorkflowExecution] = []
    async for execution in client.list_workflows(f"TaskQueue = '{task_queue}'"):
        if execution.workflow_type not in names:
            continue
        chunk.append(execution)
        if len(chunk) == concurrency:
            for history in await _fetched(client, chunk):
                yield history
            chunk = []
    for history in await _fetched(client, chunk):
        yield history


async def _fetched(client: Client, executions: list[WorkflowExecution]) -> list[WorkflowHistory]:
    return await asyncio.gather(
        *(client.get_workflow_handle(e.id, run_id=e.run_id).fetch_history() for e in executions)
    )


async def file_histories(folder: Path) -> AsyncIterator[WorkflowHistory]:
    """The recorded histories in `folder` (`*.json`, as `WorkflowHistory.to_json` writes them),
    each named by its file."""
    for file in sorted(folder.glob("*.json")):
        yield WorkflowHistory.from_json(file.stem, file.read_text())


async def replay(
    histories: AsyncIterator[WorkflowHistory], workflows: Sequence[type]
) -> tuple[int, list[Finding]]:
    """Replay each history on `workflows`; how many were replayed, and each that fails, named
    by its workflow id (and its route, for a route's workflow)."""
    replayer = Replayer(
        workflows=list(workflows),
        workflow_runner=sandbox(),  # as the worker runs them
        data_converter=pydantic_data_converter,
    )
    replayed = 0
    found: list[Finding] = []
    async with replayer.workflow_replay_iterator(histories) as results:
        async for result in results:
            replayed += 1
            failure = result.replay_failure
            if failure is not None:
                workflow_id = result.history.workflow_id
                detail = f"не воспроизводится новым кодом: {failure}"
                found.append(
                    Finding("workflow", workflow_id, detail, route_of_workflow(workflow_id))
                )
    return replayed, found


def _name(workflow: type) -> str:
    defined = getattr(workflow, "__temporal_workflow_definition")
    return str(defined.name)
