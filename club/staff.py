"""Managers run their team: add staff logins, change their roles and clubs, deactivate them.

A manager acts only within their own clubs (`by`'s clubs) and on staff who work at none
other (`require_manageable`): the roles are the four groups of `club.roles` and nothing else,
and a login is never deleted (timeline events and the audit log name their actor).
Every change goes to Wagtail's audit log with who made it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from wagtail.admin.views.account import password_reset_enabled
from wagtail.log_actions import log

from club import roles
from club.models import Club, StaffMember

CHANGE_ACTION = "club.staff.change"
DEACTIVATE_ACTION = "club.staff.deactivate"
REACTIVATE_ACTION = "club.staff.reactivate"


class Refused(Exception):
    """What a manager asked for is not theirs to do; the message says why, and `field`
    which form field it is about (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def held_roles(user) -> list[str]:
    """The user's roles in `roles.ALL` order, from their groups (prefetched on lists)."""
    held = {group.name for group in user.groups.all()}
    return [name for name in roles.ALL if name in held]


def add(
    *,
    by,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role_names: Iterable[str],
    clubs: Iterable[Club],
) -> StaffMember:
    """Create a staff login with no password; the new user sets one from the email that
    `send_password_email` sends once the transaction commits."""
    clubs = _managed(by, clubs)
    chosen_roles = _roles(role_names)
    user = StaffMember(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        # The project's mark of a club login (no Django admin is installed): the portal
        # turns it away, bookings treat it as staff, a trainer's page may link it.
        is_staff=True,
    )
    user.set_unusable_password()
    user.save()
    user.groups.set(chosen_roles)
    user.clubs.set(clubs)
    log(
        instance=user,
        action="wagtail.create",
        user=by,
        content_changed=True,
        data={"roles": [g.name for g in chosen_roles], "clubs": sorted(c.name for c in clubs)},
    )
    transaction.on_commit(lambda: send_password_email(user))
    return user


def change(
    user: StaffMember,
    *,
    by,
    first_name: str,
    last_name: str,
    email: str,
    role_names: Iterable[str],
    clubs: Iterable[Club],
) -> None:
    """Set name, email, roles, and which of `by`'s clubs the user works at."""
    require_manageable(user, by=by)
    clubs = _managed(by, clubs)
    chosen_roles = _roles(role_names)
    before = {"roles": role_names_of(user), "clubs": sorted(c.name for c in user.clubs.all())}
    ours_before = set(managed_clubs(by).filter(staff=user))
    if user.pk == by.pk and (
        set(before["roles"]) != {g.name for g in chosen_roles} or ours_before != set(clubs)
    ):
        # A manager who took away their own role or club could not put it back.
        raise Refused("Your own roles and clubs are changed by another manager.")
    if not clubs:
        raise Refused("Choose at least one club: a staff member works somewhere.", field="clubs")
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.save(update_fields=["first_name", "last_name", "email"])
    # Only the role groups and the manager's own clubs move; anything else stays.
    user.groups.remove(
        *Group.objects.filter(name__in=roles.ALL).exclude(pk__in=[g.pk for g in chosen_roles])
    )
    user.groups.add(*chosen_roles)
    user.clubs.remove(*(ours_before - set(clubs)))
    user.clubs.add(*clubs)
    after = {"roles": role_names_of(user), "clubs": sorted(c.name for c in user.clubs.all())}
    log(instance=user, action="wagtail.edit", user=by, content_changed=True)
    if after != before:
        log(instance=user, action=CHANGE_ACTION, user=by, data={"from": before, "to": after})


def deactivate(user: StaffMember, *, by) -> bool:
    """Stop the login at once (Django refuses inactive users, sessions included); False
    when it was inactive already."""
    if user.pk == by.pk:
        raise Refused("You cannot deactivate yourself: ask another manager.")
    require_manageable(user, by=by)
    return _set_active(user, active=False, by=by, action=DEACTIVATE_ACTION)


def reactivate(user: StaffMember, *, by) -> bool:
    """Let the login in again with its old password; False when it was active already."""
    require_manageable(user, by=by)
    return _set_active(user, active=True, by=by, action=REACTIVATE_ACTION)


def require_manageable(user, *, by) -> None:
    """Refuse unless every club `user` works at is one `by` manages. A login, its roles and
    its password are the same at every club: a manager of one club who could change the email
    of someone who also works at another, then send them a password link, would take over
    that login there (an area manager's, say). Such staff are changed by a manager of all
    their clubs, or a superuser."""
    if by.is_superuser:
        return
    elsewhere = user.clubs.exclude(pk__in=managed_clubs(by)).order_by("name")
    if names := list(elsewhere.values_list("name", flat=True)):
        raise Refused(
            f"{user} also works at {', '.join(names)}: only a manager of all their clubs "
            "changes their login."
        )


def password_link(user, *, by) -> None:
    """`send_password_email`, for a login `by` may manage."""
    require_manageable(user, by=by)
    send_password_email(user)


def send_password_email(user) -> None:
    """Email the user a link to Wagtail's "set a new password" page.

    The link is Django's password-reset token, so it works once and for
    PASSWORD_RESET_TIMEOUT, and is built on SITE_URL, never on a request's Host header."""
    if not password_reset_enabled():
        return
    path = reverse(
        "wagtailadmin_password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "link": settings.SITE_URL.rstrip("/") + path,
        "days": round(settings.PASSWORD_RESET_TIMEOUT / 86400),
        "site_name": settings.WAGTAIL_SITE_NAME,
        "login_url": settings.SITE_URL.rstrip("/") + reverse("wagtailadmin_login"),
    }
    send_mail(
        subject=f"Your {settings.WAGTAIL_SITE_NAME} login: set your password",
        message=render_to_string("club/email/staff_set_password.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
        fail_silently=False,
    )


def role_names_of(user) -> list[str]:
    return list(
        user.groups.filter(name__in=roles.ALL).order_by("name").values_list("name", flat=True)
    )


def managed_clubs(by) -> QuerySet[Club]:
    """The clubs whose staff `by` manages."""
    return Club.objects.for_staff(by)


def _managed(by, clubs: Iterable[Club]) -> list[Club]:
    clubs = list(clubs)
    managed = set(managed_clubs(by).filter(pk__in=[c.pk for c in clubs]))
    if len(managed) != len(set(clubs)):
        raise Refused("You may only give staff the clubs you manage.", field="clubs")
    return clubs


def _roles(names: Iterable[str]) -> list[Group]:
    names = set(names)
    if not names or not names <= set(roles.ALL):
        raise Refused(f"Choose one or more of the roles: {', '.join(roles.ALL)}.", field="roles")
    return list(Group.objects.filter(name__in=names))


def _set_active(user: StaffMember, *, active: bool, by, action: str) -> bool:
    with transaction.atomic():
        changed = StaffMember.objects.filter(pk=user.pk, is_active=not active).update(
            is_active=active
        )
        user.is_active = active
        if changed:
            log(instance=user, action=action, user=by)
    return bool(changed)
