"""Staff roles are Django groups; their names live here so code never spells them twice."""

from django.core.exceptions import PermissionDenied

FRONT_DESK = "Front desk"
TRAINER = "Trainer"
MARKETING = "Marketing"
MANAGER = "Manager"

ALL = (FRONT_DESK, TRAINER, MARKETING, MANAGER)


def has_role(user, *roles: str) -> bool:
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()


def require(user, *roles: str) -> None:
    """Raise PermissionDenied unless the user holds one of the roles (superusers hold all)."""
    if not has_role(user, *roles):
        raise PermissionDenied


# Who may do what at the front desk and on the member card.
DESK = (FRONT_DESK, MANAGER)
SELLS = (FRONT_DESK, MANAGER)
READS_MEMBER_CARD = (FRONT_DESK, MARKETING, MANAGER)
# Who sees members' phones and emails, and may search by them. Trainers see who is in their
# classes, and find them by name or card: a search by a number would tell them whose it is.
SEES_CONTACTS = (FRONT_DESK, MARKETING, MANAGER)
