"""People and teams."""

from collections.abc import Callable, Iterable
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from accounts.models import Team


def permissions(*names: str) -> list[Permission]:
    """Permissions by codename ("add_envelope") or app label and codename
    ("envelopes.add_envelope"); every name must exist, so a typo fails the test."""
    found = []
    for name in names:
        app_label, _, codename = name.rpartition(".")
        query = Permission.objects.filter(codename=codename)
        if app_label:
            query = query.filter(content_type__app_label=app_label)
        found.append(query.get())
    return found


def post_generation(hook: Callable[..., None]) -> Any:
    """factory_boy's decorator, typed for mypy (the library's is not)."""
    return factory.post_generation(hook)


class UserFactory(factory.django.DjangoModelFactory):
    """An app user. `permissions=[...]` grants codenames, `roles=[...]` adds role groups
    (accounts.roles), `teams=[...]` makes them a member."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    class Params:
        staff = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @post_generation
    def permissions(self, create: bool, extracted: Iterable[str] | None, **_: Any) -> None:
        if create and extracted:
            self.user_permissions.add(*permissions(*extracted))

    @post_generation
    def roles(self, create: bool, extracted: Iterable[str] | None, **_: Any) -> None:
        if create and extracted:
            self.groups.add(*(Group.objects.get(name=name) for name in extracted))

    @post_generation
    def teams(self, create: bool, extracted: Iterable[Team] | None, **_: Any) -> None:
        if create and extracted:
            self.teams.add(*extracted)


class TeamFactory(factory.django.DjangoModelFactory):
    """A team; `members=[...]` adds people to it."""

    class Meta:
        model = Team
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @post_generation
    def members(self, create: bool, extracted: Iterable[Any] | None, **_: Any) -> None:
        if create and extracted:
            self.members.add(*extracted)
