"""Delivering notices: the channels a Temporal activity calls (`webhook`, `email`).

Each channel's `send` delivers one `Notice` or raises `DeliveryError` (retry) or
`PermanentDeliveryError` (give up). `build_channels` makes them from a worker's settings;
`sign` and `verify` are the webhook's HMAC signature, for senders and receivers alike.
"""

from activities.notify.base import Channel, DeliveryError, PermanentDeliveryError
from activities.notify.channels import build_channels
from activities.notify.email import EmailChannel
from activities.notify.webhook import WebhookChannel, sign, verify

__all__ = [
    "Channel",
    "DeliveryError",
    "EmailChannel",
    "PermanentDeliveryError",
    "WebhookChannel",
    "build_channels",
    "sign",
    "verify",
]
