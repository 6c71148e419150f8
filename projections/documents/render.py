"""Rendering a route's document from the store: the state at a version or a moment, the marks
from the same events, the builder of the chosen form, and a writer for the chosen format."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Literal
from uuid import UUID

from adapters.document_code import DocumentCode
from aggregates.application import Routes
from aggregates.campaigns import Campaigns
from aggregates.errors import CampaignNotFoundError, RouteNotFoundError
from aggregates.personal import OfficialRecord, PersonalRecord
from aggregates.profiles import Profile
from aggregates.profiles.documents import FORM_KINDS, FormKind
from aggregates.route import Route
from aggregates.timeline import Dated
from projections.campaign import PROJECTION, campaign_figures
from projections.catalog import open_projection
from projections.documents.algorithm import build_programme, build_resource_map
from projections.documents.appendix2 import build_corrections, build_monitoring
from projections.documents.campaign import CampaignOptions, build_campaign
from projections.documents.chelyabinsk import build_chelyabinsk
from projections.documents.closing import build_certificate, build_itogi
from projections.documents.dated import as_of_date
from projections.documents.docx_writer import write_docx
from projections.documents.model import Document
from projections.documents.municipal import build_balakhta, build_sovetsky_table
from projections.documents.neutral import build_neutral
from projections.documents.pdf_writer import write_pdf
from projections.documents.sakha import build_karta
from projections.documents.sources import Marks, Options, marks_from_history
from projections.documents.sovetsky import build_sovetsky
from projections.view import ProjectionView

RouteDocKind = FormKind
"""A route's form: each regulation prints its own (`Profile.documents`)."""
Format = Literal["docx", "pdf"]
Builder = Callable[[Route, Profile, PersonalRecord | None, Options], Document]
Officials = Callable[[str], OfficialRecord]
"""The officials' records by portal id (`adapters.personal.OfficialsStore.get`)."""

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
    officials: Officials | None = None,
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
        routes,
        route,
        kind,
        personal=personal,
        generated_at=generated_at,
        centre=centre,
        officials=officials,
    )


def document_of(
    routes: Routes,
    route: Route,
    kind: RouteDocKind,
    *,
    personal: PersonalRecord | None = None,
    generated_at: datetime | None = None,
    centre: str | None = None,
    officials: Officials | None = None,
    dated: Dated | None = None,
) -> Document:
    """The document of `route` as it stands (a state the caller has read: now, at a version or
    as of a moment), the marks from its events up to that version, stamped with its check code
    (printed in the footer and drawn as a QR code on every page).

    `personal` is the teacher's record for an entitled viewer; without it the document shows
    no personal data (an erased record shows the 152-ФЗ notice). `officials` looks up the
    officials who signed or are to sign (their names and positions on the signature lines);
    without it the lines say «ФИО не указано». Raises `FormNotOfferedError` for a form the
    route's regulation does not print it on. With `dated` (the route as of a business date,
    `route` being `dated.route`) it is marked as of the date and lists the facts recorded
    later (`projections.documents.dated`).
    """
    offered = forms_of(route.profile)
    if kind not in offered:
        raise FormNotOfferedError(
            f"форма «{kind}» не предусмотрена регламентом «{route.profile.region}», по которому"
            f" ведётся ИОМ; формы этого регламента: {', '.join(offered)}"
        )
    history = routes.history(route.id, version=route.version)
    marks = marks_from_history(history, route.profile.time_zone)
    options = Options(
        marks=marks,
        generated_at=generated_at,
        centre=centre,
        officials=_signers(route, marks, officials) if officials is not None else {},
    )
    document = ROUTE_DOCUMENTS[kind](route, route.profile, personal, options)
    return stamped(document if dated is None else as_of_date(document, dated), route)


def stamped(document: Document, route: Route) -> Document:
    """The document with the check code of the route's version it shows: every route's
    document passes here, whatever its form."""
    code = DocumentCode.of(route.id, route.version, route.chain_head).text
    line = f"Код проверки документа: {code} (iom audit verify-document)"
    return replace(document, code=code, footer=(*document.footer, line))


def _signers(route: Route, marks: Marks, officials: Officials) -> dict[str, OfficialRecord]:
    """The officials a route's signature lines can name: whoever signed (the certificate's
    issuer too), the heads a deputy signed for, and the assigned methodist (named on the lines
    before they sign)."""
    acts = [
        *marks.agreed.values(),
        *marks.conclusions_signed.values(),
        *(act for signed in marks.corrections_signed.values() for act in signed.values()),
        *([marks.certified] if marks.certified else []),
    ]
    ids = {act.by for act in acts} | {act.acting_for for act in acts if act.acting_for}
    if route.methodist_id is not None:
        ids.add(route.methodist_id)
    ids.discard(route.teacher_id)
    return {official_id: officials(official_id) for official_id in sorted(ids)}


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
