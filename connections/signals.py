"""Signals other apps can listen to (sent after the change is committed).

connection_healthy(sender=Connection, connection): a connection check passed; work that
waited for the connection (envelopes.sending.waiting) resumes.
"""

from django.dispatch import Signal

connection_healthy = Signal()
