"""The documents people sign and keep: the regions' forms of a route, made from its state at a
chosen version or moment, and the report of a diagnostic campaign, as DOCX or PDF.

One neutral model (`model.Document`), a builder per form (`sakha`, `closing`, `municipal`,
`sovetsky`, `chelyabinsk`, `algorithm`, `neutral`, `campaign`), two writers (`docx_writer`,
`pdf_writer`). Each regulation names the forms its routes print on (`Profile.documents`); one
that names none prints the neutral form. Every route's document names the route, version and
chain hash it was made from; the campaign report, summed from the monitoring
projection, names the projection and its position. Personal data come only from a
`PersonalRecord` the caller passes.
"""

from projections.documents.algorithm import build_programme, build_resource_map
from projections.documents.appendix2 import build_corrections, build_monitoring
from projections.documents.campaign import CampaignOptions, build_campaign
from projections.documents.chelyabinsk import build_chelyabinsk
from projections.documents.closing import build_certificate, build_itogi
from projections.documents.docx_writer import write_docx
from projections.documents.model import Cell, Document, Paragraph, Section, Signature, Table
from projections.documents.municipal import build_balakhta, build_sovetsky_table
from projections.documents.neutral import build_neutral
from projections.documents.pdf_writer import write_pdf
from projections.documents.render import (
    ROUTE_DOCUMENTS,
    Format,
    FormNotOfferedError,
    RouteDocKind,
    campaign_document,
    document_of,
    forms_of,
    render,
    route_document,
)
from projections.documents.sakha import build_karta
from projections.documents.sources import Marks, Options, marks_from_history
from projections.documents.sovetsky import build_sovetsky

__all__ = [
    "ROUTE_DOCUMENTS",
    "CampaignOptions",
    "Cell",
    "Document",
    "FormNotOfferedError",
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
    "build_chelyabinsk",
    "build_corrections",
    "build_itogi",
    "build_karta",
    "build_monitoring",
    "build_neutral",
    "build_programme",
    "build_resource_map",
    "build_sovetsky",
    "build_sovetsky_table",
    "campaign_document",
    "document_of",
    "forms_of",
    "marks_from_history",
    "render",
    "route_document",
    "write_docx",
    "write_pdf",
]
