"""Phone numbers as our pages show them: enough to recognise, not to copy."""


def masked(phone: str) -> str:
    """ "+44 7700900123" → "+44 •••••••123": enough to recognise, not to copy."""
    country, _, number = phone.partition(" ")
    return f"{country} {'•' * max(len(number) - 3, 0)}{number[-3:]}"
