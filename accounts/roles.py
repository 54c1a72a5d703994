"""The jobs people do, as Django groups holding the permissions each job needs.

The groups are created (and their permissions topped up, never removed) after every
`migrate`; an administrator gives people jobs by adding them to groups in the admin.
Seeing is never acting: the permission to act on the team's envelopes is separate.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission

ROLES: dict[str, list[str]] = {
    "Senders": ["envelopes.add_envelope"],
    "Team viewers": ["envelopes.view_team_envelopes"],
    "Team actors": ["envelopes.view_team_envelopes", "envelopes.act_on_team_envelopes"],
    "Auditors": ["envelopes.view_all_envelopes"],
    "Connection managers": [
        "connections.add_connection",
        "connections.change_connection",
        "connections.view_connection",
    ],
    "Key rotators": ["connections.view_connection", "connections.rotate_keys"],
    "Production approvers": ["connections.view_connection", "connections.promote_connection"],
    "Operators": ["connections.view_system_status"],
}


def ensure_role_groups(**_kwargs: Any) -> None:
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:  # absent only while an app's migrations are still to run
                group.permissions.add(found)
