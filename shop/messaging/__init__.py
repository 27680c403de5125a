"""Outbound messages: one row per (event, channel, recipient), sent by a Celery task after
commit through one backend per channel (e-mail, WhatsApp Cloud API, Telegram Bot API).
docs/notifications.md describes the pipeline."""
