"""Notifications: the words of each message, emails built from them, and their delivery.

Every message lands in the recipient's inbox at once and, by email, in the outbox, in the same
transaction as the event that caused it (a rollback sends nothing). This package imports
nothing from the app: it works on plain data (``data``), its settings (``settings``), an
outbox store the app implements (``store``), a template loader and the links emails carry.
The app decides who hears what (``app.announce``).
"""
