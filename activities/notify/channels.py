"""The channels a worker delivers notices on, made from its settings."""

from __future__ import annotations

from activities.notify.base import Channel
from activities.notify.email import EmailChannel
from activities.notify.webhook import WebhookChannel


def build_channels(
    *,
    webhook_url: str | None,
    webhook_secret: str | None,
    smtp_url: str | None,
    mail_from: str,
    mail_to: str,
) -> dict[str, Channel]:
    """`webhook` when a webhook URL is set (its secret then required), `email` when an SMTP URL
    is set; by channel name. Empty when neither: notices are then only recorded."""
    channels: dict[str, Channel] = {}
    if webhook_url:
        if not webhook_secret:
            raise ValueError("IOM_WEBHOOK_SECRET is required when IOM_WEBHOOK_URL is set")
        channels["webhook"] = WebhookChannel(webhook_url, webhook_secret.encode())
    if smtp_url:
        channels["email"] = EmailChannel(smtp_url, mail_from, mail_to)
    return channels
