"""What every notification channel is: a name and a `send` that delivers one notice or raises.

A channel raises `DeliveryError` when a later attempt may succeed (the Temporal activity that
calls it retries) and `PermanentDeliveryError` when retrying cannot help (the activity gives up
at once). Messages are in English and name the endpoint and the status, never a secret.
"""

from __future__ import annotations

from typing import Protocol

from workflows.contracts import Notice


class Channel(Protocol):
    """A way of delivering a notice: `webhook`, `email`, …"""

    name: str

    def send(self, notice: Notice) -> None:
        """Deliver `notice`, or raise `DeliveryError` / `PermanentDeliveryError`."""


class DeliveryError(Exception):
    """The notice was not delivered, but a later attempt may succeed: retry."""


class PermanentDeliveryError(DeliveryError):
    """The notice was not delivered and retrying cannot help (refused, misaddressed)."""
