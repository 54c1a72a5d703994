"""Signals other apps can listen to (sent after the change is committed).

envelope_status_changed(sender=Envelope, envelope, old_status, new_status, source)
recipient_completed(sender=Envelope, envelope, recipient)
"""

from django.dispatch import Signal

envelope_status_changed = Signal()
recipient_completed = Signal()
