"""The audit trail's one-line descriptions, in Russian as a methodist reads them."""

from __future__ import annotations

from aggregates import events
from aggregates.application import Routes
from aggregates.events import AgreementGiven, RouteEvent
from aggregates.summaries import describe
from workers.demo import write_demo


def test_a_party_is_named_with_its_abbreviation_intact(app: Routes) -> None:
    [route_id] = write_demo(app, "sakha", 1)
    profile = app.profiles.latest("sakha")
    lines = [describe(e, profile) for e in app.history(route_id) if isinstance(e, AgreementGiven)]
    assert "Руководитель ЦНППМ: согласовано (редакция 1)" in lines
    assert any(line.startswith("Руководитель ОО: ") for line in lines)


def every_event() -> list[type[RouteEvent]]:
    """Every kind of event a route records (the module's subclasses of `RouteEvent`)."""
    return [
        kind
        for kind in vars(events).values()
        if isinstance(kind, type) and issubclass(kind, RouteEvent) and kind is not RouteEvent
    ]


def test_every_event_carries_its_own_line() -> None:
    """A new event without its Russian line fails here, not as its class name in the trail."""
    kinds = every_event()
    assert len(kinds) >= 27
    assert [kind.__name__ for kind in kinds if "summary" not in vars(kind)] == []
