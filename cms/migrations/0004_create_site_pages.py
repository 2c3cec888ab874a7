"""Create the public site's pages under the home page, and let marketing edit them.

A fresh `migrate` then serves /schedule/, /plans/, /trainers/ and /trial/ without anyone
opening the page editor. Pages are written with historical models, so the tree paths
are computed here the way treebeard would (four base-36 digits per level).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from club.permissions import grant

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4

PAGES = [
    (
        "schedulepage",
        "SchedulePage",
        "Schedule",
        "schedule",
        {
            "intro": "<p>Every class this week, with the spots still free. Classes marked "
            "<b>Free trial</b> are open to first-timers: your first one is on us.</p>"
        },
    ),
    (
        "planspage",
        "PlansPage",
        "Plans",
        "plans",
        {
            "intro": "<p>Simple plans for every week: unlimited training or a visit card. "
            "Not sure yet? Try a class for free first.</p>",
            "footnote": "<p>Questions about a plan? Ask us at the front desk or give us "
            "a call.</p>",
        },
    ),
    (
        "trainersindexpage",
        "TrainersIndexPage",
        "Trainers",
        "trainers",
        {"intro": "<p>Meet the people who run our classes and the gym floor.</p>"},
    ),
    ("trialpage", "TrialPage", "Free trial", "trial", {}),
]

MARKETING_PAGES = ["add_page", "change_page", "publish_page"]
MANAGER_PAGES = [*MARKETING_PAGES, "bulk_delete_page", "lock_page", "unlock_page"]
IMAGES = ["add_image", "change_image", "choose_image"]


def _encode(number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits.rjust(STEPLEN, "0")


def create_pages(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    home = HomePage.objects.order_by("path").first()
    if home is None:
        return  # a site without our home page: nothing to hang the pages on
    children = Page.objects.filter(path__startswith=home.path, depth=home.depth + 1)
    taken = set(children.values_list("slug", flat=True))
    last = children.order_by("-path").values_list("path", flat=True).first()
    position = int(last[-STEPLEN:], len(ALPHABET)) if last else 0
    for model_name, class_name, title, slug, fields in PAGES:
        if slug in taken:
            continue
        position += 1
        content_type, _ = ContentType.objects.get_or_create(app_label="cms", model=model_name)
        apps.get_model("cms", class_name).objects.create(
            title=title,
            draft_title=title,
            slug=slug,
            content_type=content_type,
            path=home.path + _encode(position),
            depth=home.depth + 1,
            numchild=0,
            url_path=f"{home.url_path}{slug}/",
            locale_id=home.locale_id,
            live=True,
            show_in_menus=True,
            **fields,
        )
    home.numchild = children.count()
    home.save(update_fields=["numchild"])
    _grant_editing(apps, home)


def _grant_editing(apps, home) -> None:
    """Marketing edits and publishes the site and its images; managers may also delete."""
    for app_label in ("wagtailcore", "wagtailimages"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth.Group")
    Permission = apps.get_model("auth.Permission")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    Collection = apps.get_model("wagtailcore.Collection")
    root_collection = Collection.objects.filter(depth=1).first()
    for role, page_codenames in (("Marketing", MARKETING_PAGES), ("Manager", MANAGER_PAGES)):
        group, _ = Group.objects.get_or_create(name=role)
        for permission in Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=page_codenames
        ):
            GroupPagePermission.objects.get_or_create(
                group=group, page_id=home.pk, permission=permission
            )
        if root_collection is not None:
            for permission in Permission.objects.filter(
                content_type__app_label="wagtailimages", codename__in=IMAGES
            ):
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=root_collection, permission=permission
                )
    grant(
        apps,
        "cms",
        {"Marketing": ["change_clubsitesettings"], "Manager": ["change_clubsitesettings"]},
    )


def remove_pages(apps, schema_editor):
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    apps.get_model("cms", "TrainerPage").objects.all().delete()
    for _, class_name, *_rest in PAGES:
        apps.get_model("cms", class_name).objects.all().delete()
    for home in HomePage.objects.all():
        home.numchild = Page.objects.filter(
            path__startswith=home.path, depth=home.depth + 1
        ).count()
        home.save(update_fields=["numchild"])


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0003_site_pages"),
        ("club", "0002_staff_roles"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [migrations.RunPython(create_pages, remove_pages)]
