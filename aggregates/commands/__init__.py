"""The commands of a route, each deciding which events it appends or why it is refused."""

from collections.abc import Mapping
from types import MappingProxyType

from aggregates.commands.base import Change, Command, Context
from aggregates.commands.closing import (
    AcknowledgeConclusions,
    HoldFinalPublicEvent,
    IssueCertificate,
    RecordConclusions,
    RecordFinalDiagnostic,
    RecordSelfReflection,
    SignConclusions,
)
from aggregates.commands.design import AgreeRoute, DesignRoute, ReturnRoute, SubmitRoute
from aggregates.commands.implementation import (
    AcknowledgeCorrection,
    AgreeCorrection,
    CompleteActivity,
    CorrectRoute,
    MarkActivityNotDone,
    MarkActivityOverdue,
    RecordInterimResult,
    RecordIntermediateDiagnostic,
)
from aggregates.commands.migration import MigrateRoute
from aggregates.commands.opening import AssignMethodist, CancelRoute, OpenRoute, RecordDiagnostic
from aggregates.commands.operations import (
    ExtendDeadline,
    PauseRoute,
    ReassignMethodist,
    ResendNotice,
    ResumeRoute,
    SendNotice,
)

COMMANDS: dict[str, type[Command]] = {
    "assign_methodist": AssignMethodist,
    "record_diagnostic": RecordDiagnostic,
    "design_route": DesignRoute,
    "submit_route": SubmitRoute,
    "agree_route": AgreeRoute,
    "return_route": ReturnRoute,
    "complete_activity": CompleteActivity,
    "mark_activity_not_done": MarkActivityNotDone,
    "mark_activity_overdue": MarkActivityOverdue,
    "record_interim_result": RecordInterimResult,
    "correct_route": CorrectRoute,
    "agree_correction": AgreeCorrection,
    "acknowledge_correction": AcknowledgeCorrection,
    "record_self_reflection": RecordSelfReflection,
    "hold_final_public_event": HoldFinalPublicEvent,
    "record_final_diagnostic": RecordFinalDiagnostic,
    "record_conclusions": RecordConclusions,
    "sign_conclusions": SignConclusions,
    "acknowledge_conclusions": AcknowledgeConclusions,
    "issue_certificate": IssueCertificate,
    "cancel_route": CancelRoute,
}
"""Every command on an existing route, by the name the API, the CLI and the workflows use."""

PERSON_COMMANDS: Mapping[str, type[Command]] = MappingProxyType(
    {name: command for name, command in COMMANDS.items() if command.by_person}
)
"""The commands a person sends on a route: an endpoint each, and the updates the route's
workflow takes."""

OPERATIONS: dict[str, type[Command]] = {
    "extend_deadline": ExtendDeadline,
    "reassign_methodist": ReassignMethodist,
    "pause": PauseRoute,
    "resume": ResumeRoute,
    "cancel": CancelRoute,
    "resend_notice": ResendNotice,
    "migrate": MigrateRoute,
}
"""The operators' signals to a route's workflow, by signal name; each is recorded as an event."""

__all__ = [
    "COMMANDS",
    "OPERATIONS",
    "PERSON_COMMANDS",
    "AcknowledgeConclusions",
    "AcknowledgeCorrection",
    "AgreeCorrection",
    "AgreeRoute",
    "AssignMethodist",
    "CancelRoute",
    "Change",
    "Command",
    "CompleteActivity",
    "Context",
    "CorrectRoute",
    "DesignRoute",
    "ExtendDeadline",
    "HoldFinalPublicEvent",
    "IssueCertificate",
    "MarkActivityNotDone",
    "MarkActivityOverdue",
    "MigrateRoute",
    "OpenRoute",
    "PauseRoute",
    "ReassignMethodist",
    "RecordConclusions",
    "RecordDiagnostic",
    "RecordFinalDiagnostic",
    "RecordInterimResult",
    "RecordIntermediateDiagnostic",
    "RecordSelfReflection",
    "ResendNotice",
    "ResumeRoute",
    "ReturnRoute",
    "SendNotice",
    "SignConclusions",
    "SubmitRoute",
]
