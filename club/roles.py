"""Staff roles are Django groups; their names live here so code never spells them twice."""

FRONT_DESK = "Front desk"
TRAINER = "Trainer"
MARKETING = "Marketing"
MANAGER = "Manager"

ALL = (FRONT_DESK, TRAINER, MARKETING, MANAGER)


def has_role(user, *roles: str) -> bool:
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()
