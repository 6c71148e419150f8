"""Rendering a route's document from the store: the state at a version or a moment, the marks
from the same events, the builder of the chosen form, and a writer for the chosen format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Literal
from uuid import UUID

from aggregates.application import Routes
from aggregates.campaigns import Campaigns
from aggregates.errors import CampaignNotFoundError, RouteNotFoundError
from aggregates.personal import PersonalRecord
from aggregates.profiles import Profile
from aggregates.profiles.documents import FORM_KINDS, FormKind
from aggregates.route import Route
from projections.campaign import PROJECTION, campaign_figures
from projections.catalog import open_projection
from projections.documents.algorithm import build_programme, build_resource_map
from projections.documents.appendix2 import build_corrections, build_monitoring
from projections.documents.campaign import CampaignOptions, build_campaign
from projections.documents.chelyabinsk import build_chelyabinsk
from projections.documents.closing import build_certificate, build_itogi
from projections.documents.docx_writer import write_docx
from projections.documents.model import Document
from projections.documents.municipal import build_balakhta, build_sovetsky_table
from projections.documents.neutral import build_neutral
from projections.documents.pdf_writer import write_pdf
from projections.documents.sakha import build_karta
from projections.documents.sources import Options, marks_from_history
from projections.documents.sovetsky import build_sovetsky
from projections.view import ProjectionView

RouteDocKind = FormKind
"""A route's form: each regulation prints its own (`Profile.documents`)."""
Format = Literal["docx", "pdf"]
Builder = Callable[[Route, Profile, PersonalRecord | None, Options], Document]

ROUTE_DOCUMENTS: dict[RouteDocKind, Builder] = {
    "karta": build_karta,
    "corrections": build_corrections,
    "monitoring": build_monitoring,
    "itogi": build_itogi,
    "certificate": build_certificate,
    "balakhta": build_balakhta,
    "sovetsky": build_sovetsky,
    "sovetsky_table": build_sovetsky_table,
    "chelyabinsk": build_chelyabinsk,
    "programme": build_programme,
    "resource_map": build_resource_map,
    "iom": build_neutral,
}
assert set(ROUTE_DOCUMENTS) == set(FORM_KINDS)


class FormNotOfferedError(LookupError):
    """A form the route's regulation does not print it on (another region's form)."""


def forms_of(profile: Profile) -> tuple[RouteDocKind, ...]:
    """The forms a route under `profile` is printed on, its main form first."""
    return profile.documents.offered()


WRITERS: dict[Format, Callable[[Document], bytes]] = {"docx": write_docx, "pdf": write_pdf}


def route_document(
    routes: Routes,
    route_id: UUID,
    kind: RouteDocKind,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
    personal: PersonalRecord | None = None,
    generated_at: datetime | None = None,
    centre: str | None = None,
) -> Document:
    """The document of a route as it stood at `version` or at `as_of` (now if neither).

    `personal` is the teacher's record for an entitled viewer; without it the document shows
    no personal data. Raises `RouteNotFoundError` if the route (at that version or moment) does
    not exist.
    """
    if version is not None and as_of is not None:
        raise ValueError("give a version or a moment, not both")
    if as_of is not None:
        route = routes.route_as_of(route_id, as_of)
    else:
        route = routes.route(route_id, version=version)
        if version is not None and route.version != version:
            # The store answers a version past the last with the last; a document must not.
            raise RouteNotFoundError(
                "not_found", f"ИОМ {route_id}: версии {version} нет, последняя — {route.version}"
            )
    return document_of(
        routes, route, kind, personal=personal, generated_at=generated_at, centre=centre
    )


def document_of(
    routes: Routes,
    route: Route,
    kind: RouteDocKind,
    *,
    personal: PersonalRecord | None = None,
    generated_at: datetime | None = None,
    centre: str | None = None,
) -> Document:
    """The document of `route` as it stands (a state the caller has read: now, at a version or
    as of a moment), the marks from its events up to that version.

    `personal` is the teacher's record for an entitled viewer; without it the document shows
    no personal data (an erased record shows the 152-ФЗ notice). Raises `FormNotOfferedError`
    for a form the route's regulation does not print it on.
    """
    offered = forms_of(route.profile)
    if kind not in offered:
        raise FormNotOfferedError(
            f"форма «{kind}» не предусмотрена регламентом «{route.profile.region}», по которому"
            f" ведётся ИОМ; формы этого регламента: {', '.join(offered)}"
        )
    history = routes.history(route.id, version=route.version)
    options = Options(
        marks=marks_from_history(history, route.profile.time_zone),
        generated_at=generated_at,
        centre=centre,
    )
    return ROUTE_DOCUMENTS[kind](route, route.profile, personal, options)


def campaign_document(
    routes: Routes,
    region: str,
    options: CampaignOptions,
    view: ProjectionView | None = None,
) -> Document:
    """The analytical report on the region's diagnostics in the options' period, from the
    monitoring projection (`view`, or opened on the routes' store) at its current position.

    Raises `UnknownProfileError` for a region the deployment does not know and
    `ProjectionNotReadyError` when the projection has not been built.
    """
    profile = routes.profiles.latest(region)
    head = routes.recorder.max_notification_id() or 0
    if view is None:
        view = open_projection(routes, PROJECTION).view
    campaign = None
    route_ids = None
    if options.campaign_id is not None:
        campaign = Campaigns(routes).campaign(options.campaign_id)
        if campaign.profile.id != region:
            raise CampaignNotFoundError("not_found", f"диагностика {campaign.id} не найдена")
        profile = campaign.profile
        options = replace(
            options, kind=campaign.kind, starts_on=campaign.starts_on, ends_on=campaign.ends_on
        )
        route_ids = [p.route_id for p in campaign.participants.values()]
    figures = campaign_figures(
        view,
        region,
        kind=options.kind,
        starts_on=options.starts_on,
        ends_on=options.ends_on,
        route_ids=route_ids,
    )
    head = max(head, figures.position)
    return build_campaign(figures, profile, options, head=head, campaign=campaign)


def render(document: Document, fmt: Format) -> bytes:
    """The document's file in `fmt`."""
    return WRITERS[fmt](document)
