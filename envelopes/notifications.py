"""An envelope's reminders and expiration: sent in the create definition (definitions.py),
shown on its page, changed in flight by a worker (envelopes/corrections.py, DocuSign first).

The numbers and their rules live in connections/schedules.py (shared with a connection's
defaults).
"""

from connections.schedules import MAX_DAYS, Schedule, check_schedule, schedule_from_docusign

__all__ = ["MAX_DAYS", "Schedule", "check_schedule", "schedule_from_docusign"]
