"""The documents people sign and keep: the regions' forms of a route, made from its state at a
chosen version or moment, and the report of a diagnostic campaign, as DOCX or PDF.

One neutral model (`model.Document`), a builder per form (`sakha`, `closing`, `municipal`,
`campaign`), two writers (`docx_writer`, `pdf_writer`). Every route's document names the route,
version and chain hash it was made from; the campaign report, summed from the monitoring
projection, names the projection and its position. Personal data come only from a
`PersonalRecord` the caller passes.
"""

from projections.documents.appendix2 import build_corrections, build_monitoring
from projections.documents.campaign import CampaignOptions, build_campaign
from projections.documents.closing import build_certificate, build_itogi
from projections.documents.docx_writer import write_docx
from projections.documents.model import Cell, Document, Paragraph, Section, Signature, Table
from projections.documents.municipal import build_balakhta, build_sovetsky
from projections.documents.pdf_writer import write_pdf
from projections.documents.render import (
    ROUTE_DOCUMENTS,
    Format,
    RouteDocKind,
    campaign_document,
    document_of,
    render,
    route_document,
)
from projections.documents.sakha import build_karta
from projections.documents.sources import Marks, Options, marks_from_history

__all__ = [
    "ROUTE_DOCUMENTS",
    "CampaignOptions",
    "Cell",
    "Document",
    "Format",
    "Marks",
    "Options",
    "Paragraph",
    "RouteDocKind",
    "Section",
    "Signature",
    "Table",
    "build_balakhta",
    "build_campaign",
    "build_certificate",
    "build_corrections",
    "build_itogi",
    "build_karta",
    "build_monitoring",
    "build_sovetsky",
    "campaign_document",
    "document_of",
    "marks_from_history",
    "render",
    "route_document",
    "write_docx",
    "write_pdf",
]
