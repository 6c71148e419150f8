"""`Campaigns`: diagnostic campaigns kept in the routes' own event store.

A campaign's events are saved through the `Routes` application (its recorder, mapper and
notification log), so a campaign's results and the routes' diagnostics they bring are saved in
one transaction (`save`), all or none. The projections skip a campaign's events (they follow
routes); `Routes.route_ids` lists routes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from aggregates.application import Decision, Routes
from aggregates.campaign import (
    Campaign,
    CampaignEvent,
    CampaignPlanned,
    Participant,
    campaign_id_for,
    project_campaign,
)
from aggregates.campaign_commands import (
    CampaignChange,
    CampaignCommand,
    PlanCampaign,
    recorded_levels,
)
from aggregates.commands import Context
from aggregates.errors import (
    CampaignNotFoundError,
    CommandReuseError,
    ConflictError,
    InvalidCommandError,
)
from aggregates.events import RouteEvent
from aggregates.profiles import UnknownProfileError
from aggregates.programmes.orders import MASS_SHARE, OrderProposal, count_levels, propose_orders
from aggregates.values import Actor


@dataclass(frozen=True)
class CampaignReceipt:
    """What a campaign command left: the campaign's id and version, the events it appended."""

    campaign_id: UUID
    version: int
    events: list[str] = field(default_factory=list)
    replayed: bool = False


@dataclass(frozen=True)
class CampaignDecision:
    """A command decided on a campaign, not yet saved."""

    campaign: Campaign
    events: list[CampaignEvent]
    receipt: CampaignReceipt


class Campaigns:
    """Diagnostic campaigns, each an event-sourced aggregate in the routes' store."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes

    def plan(
        self, region: str, command: PlanCampaign, actor: Actor, command_id: str
    ) -> CampaignReceipt:
        """Plan a campaign under the newest edition of its region's profile; the same command
        id again answers with the campaign; another command for the same key is refused."""
        campaign_id = campaign_id_for(region, command.campaign_key)
        fingerprint = command.fingerprint(actor)
        existing = self.find(campaign_id)
        if existing is not None:
            earlier = _replay(existing, command_id, fingerprint)
            if earlier is None:
                raise InvalidCommandError(
                    "campaign_key",
                    f"диагностика с ключом «{command.campaign_key}» уже запланирована",
                    "campaign_key",
                )
            return earlier
        try:
            profile = self.routes.profiles.latest(region)
        except UnknownProfileError as error:
            raise InvalidCommandError("content", str(error), "region") from None
        context = Context(actor, self.routes.clock())
        changes = command.decide_plan(profile, context)
        decision = _draft(
            None,
            campaign_id,
            changes,
            context=context,
            command_id=command_id,
            fingerprint=fingerprint,
        )
        self.save([decision])
        return decision.receipt

    def execute(
        self,
        campaign_id: UUID,
        command: CampaignCommand,
        actor: Actor,
        command_id: str,
        *,
        now: datetime | None = None,
    ) -> CampaignReceipt:
        """Decide `command` on the campaign and save what it appends (see `decide`)."""
        decision = self.decide(campaign_id, command, actor, command_id, now=now)
        self.save([decision])
        return decision.receipt

    def decide(
        self,
        campaign_id: UUID,
        command: CampaignCommand,
        actor: Actor,
        command_id: str,
        *,
        now: datetime | None = None,
    ) -> CampaignDecision:
        """The command decided, not saved: a command id already applied decides nothing."""
        fingerprint = command.fingerprint(actor)
        campaign = self.campaign(campaign_id)
        earlier = _replay(campaign, command_id, fingerprint)
        if earlier is not None:
            return CampaignDecision(campaign, [], earlier)
        context = Context(actor, now or self.routes.clock())
        changes = command.decide_campaign(campaign, context)
        return _draft(
            campaign,
            campaign_id,
            changes,
            context=context,
            command_id=command_id,
            fingerprint=fingerprint,
        )

    def save(self, decisions: Sequence[CampaignDecision], routes: Sequence[Decision] = ()) -> None:
        """Save campaigns' and routes' decisions in one transaction, all or none."""
        events: list[CampaignEvent | RouteEvent] = [e for d in decisions for e in d.events]
        events += [e for d in routes for e in d.events]
        if not events:
            return
        try:
            self.routes.save(*events)
        except IntegrityError:
            raise ConflictError(
                "conflict", "диагностика или ИОМ изменены параллельно; повторите"
            ) from None

    def campaign(self, campaign_id: UUID) -> Campaign:
        """The campaign now."""
        found = self.find(campaign_id)
        if found is None:
            raise CampaignNotFoundError("not_found", f"диагностика {campaign_id} не найдена")
        return found

    def find(self, campaign_id: UUID) -> Campaign | None:
        """The campaign, or None when there is none under that id."""
        try:
            found = self.routes.repository.get(campaign_id, projector_func=project_campaign)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, Campaign) else None

    def announced(self, campaign_id: UUID, version: int) -> tuple[Campaign, list[Participant]]:
        """The campaign as its announcement at `version` left it, and the participants that
        announcement named (none when the event at `version` announced nobody)."""
        get = self.routes.repository.get
        try:
            after = get(campaign_id, version=version, projector_func=project_campaign)
        except AggregateNotFoundError:
            raise CampaignNotFoundError(
                "not_found", f"диагностика {campaign_id} не найдена"
            ) from None
        if not isinstance(after, Campaign):
            raise CampaignNotFoundError("not_found", f"диагностика {campaign_id} не найдена")
        if version <= 1:  # the plan: nobody announced yet
            return after, []
        before = get(campaign_id, version=version - 1, projector_func=project_campaign)
        if not isinstance(before, Campaign):
            raise CampaignNotFoundError("not_found", f"диагностика {campaign_id} не найдена")
        fresh = [p for t, p in after.participants.items() if t not in before.participants]
        return after, fresh

    def orders(self, campaign_id: UUID, mass_share: float = MASS_SHARE) -> OrderProposal:
        """The ДПП the region should order for the campaign's mass deficits (Sakha диагностика
        7.2), counted over the levels its diagnostic found on its participants' routes."""
        campaign = self.campaign(campaign_id)
        found = (
            recorded_levels(campaign, p, self.routes.route(p.route_id))
            for p in campaign.participants.values()
            if p.recorded
        )
        counted, counts = count_levels(found)
        catalogue = self.routes.catalogues.catalogue(campaign.profile.id)
        return propose_orders(campaign.profile, catalogue, counts, counted, mass_share)

    def campaign_ids(self, region: str) -> list[UUID]:
        """The region's campaigns, in the order they were planned."""
        topic = get_topic(CampaignPlanned)
        found: list[UUID] = []
        start = 1
        while True:
            page = self.routes.recorder.select_notifications(start, 1000, topics=[topic])
            found += [cast(UUID, n.originator_id) for n in page]
            if len(page) < 1000:
                break
            start = page[-1].id + 1
        return [i for i in found if self.campaign(i).profile.id == region]


def _replay(campaign: Campaign, command_id: str, fingerprint: str) -> CampaignReceipt | None:
    earlier = campaign.commands.get(command_id)
    if earlier is None:
        return None
    if earlier.fingerprint != fingerprint:
        raise CommandReuseError(
            "command_id",
            "этот идентификатор команды уже использован для другой команды",
            "command_id",
        )
    return CampaignReceipt(campaign.id, earlier.version, replayed=True)


def _draft(
    campaign: Campaign | None,
    campaign_id: UUID,
    changes: list[CampaignChange],
    *,
    context: Context,
    command_id: str,
    fingerprint: str,
) -> CampaignDecision:
    start = campaign.version if campaign else 0
    events: list[CampaignEvent] = []
    for offset, (event_class, fields) in enumerate(changes, start=1):
        event = event_class(
            originator_id=campaign_id,
            originator_version=start + offset,
            timestamp=context.now,
            actor=context.actor,
            command_id=command_id,
            command_hash=fingerprint,
            **fields,
        )
        campaign = event.mutate(campaign)
        events.append(event)
    if campaign is None:
        raise InvalidCommandError("content", "диагностика ещё не запланирована")
    receipt = CampaignReceipt(campaign_id, campaign.version, [type(e).__name__ for e in events])
    return CampaignDecision(campaign, events, receipt)
