"""Granting model permissions to the staff role groups from data migrations.

Each app grants the permissions on its own models in its own migration, so the
lower apps never need to know about the higher ones.
"""

from django.contrib.auth.management import create_permissions


def grant(apps, app_label: str, grants: dict[str, list[str]]) -> None:
    """Give each role group the listed permission codenames of `app_label`'s models."""
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = Permission.objects.filter(
            content_type__app_label=app_label, codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise LookupError(f"Unknown {app_label} permissions: {sorted(missing)}")
        group.permissions.add(*permissions)
