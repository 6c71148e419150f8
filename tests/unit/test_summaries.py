"""The audit trail's one-line descriptions, in Russian as a methodist reads them."""

from __future__ import annotations

from aggregates.application import Routes
from aggregates.events import AgreementGiven
from aggregates.summaries import describe
from workers.demo import write_demo


def test_a_party_is_named_with_its_abbreviation_intact(app: Routes) -> None:
    [route_id] = write_demo(app, "sakha", 1)
    profile = app.profiles.latest("sakha")
    lines = [describe(e, profile) for e in app.history(route_id) if isinstance(e, AgreementGiven)]
    assert "Руководитель ЦНППМ: согласовано (редакция 1)" in lines
    assert any(line.startswith("Руководитель ОО: ") for line in lines)
