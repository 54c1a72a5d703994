"""Seed data for `make run` (filled in by the simulator issue)."""


def seed_simulator(*, site_url: str) -> list[str]:
    """Create the simulated key, user and account and a demo connection; return what to print."""
    return []
