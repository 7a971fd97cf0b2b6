"""Notifications: every message lands in the recipient's inbox at once and, by email, in the
outbox, in the same transaction as the event that caused it (a rollback sends nothing)."""

from .outbox import notify

__all__ = ["notify"]
