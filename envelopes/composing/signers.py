"""Which app users a sender may choose as in-app signers (the compose page's user picker).

Only active users with an email (DocuSign needs one), and no one the sender has no business
seeing: members of the sender's teams; a sender in no team sees the users in no team (so
teams' members never leak to outsiders); a user with `envelopes.choose_any_signer` sees
every active user. Matching by verified email (services.app_user_for) stays the fallback.
"""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet


def choosable_signers(sender: User) -> QuerySet[User]:
    users = User.objects.filter(is_active=True).exclude(email="")
    if sender.has_perm("envelopes.choose_any_signer"):
        chosen = users
    elif sender.teams.exists():
        chosen = users.filter(teams__in=sender.teams.all())
    else:
        chosen = users.filter(teams__isnull=True)
    return chosen.distinct().order_by("first_name", "last_name", "username")


def signer_label(user: User) -> str:
    return f"{user.get_full_name() or user.get_username()} <{user.email}>"


def check_choosable(sender: User, user: User) -> User:
    """The chosen user, if this sender may choose them; else a ValidationError that names
    no one the sender may not see."""
    if not choosable_signers(sender).filter(pk=user.pk).exists():
        raise ValidationError(
            "That user cannot be chosen as a signer here (inactive, without an email, or "
            "outside your teams). Choose someone from the list, or type their email.",
            code="signer_not_choosable",
        )
    return user
