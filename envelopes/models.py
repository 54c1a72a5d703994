"""Envelopes, recipients, documents and their history (built in the envelopes issue)."""
