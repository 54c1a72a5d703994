"""A plain-Python DocuSign client: no Django imports, settings are passed in."""
