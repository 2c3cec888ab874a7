from django.db import migrations, models
from django.db.models.functions import Cast

ERASED = "Erased member"


def scrub(apps, schema_editor):
    """Members erased before erasure scrubbed Wagtail's audit log still had their names there
    ("Anna Smit" on a record now "Erased member #1502"): scrub them as `erasure.erase` now
    does. Erasures are rare, so one pass per erased member."""
    Member = apps.get_model("members", "Member")
    ContentType = apps.get_model("contenttypes", "ContentType")
    ModelLogEntry = apps.get_model("wagtailcore", "ModelLogEntry")
    erased = list(Member.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    if not erased or not ModelLogEntry.objects.exists():
        return
    types = {(t.app_label, t.model): t.pk for t in ContentType.objects.all()}
    rows = [
        (model, field.name, types.get((model._meta.app_label, model._meta.model_name)))
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if field.is_relation and field.concrete and field.related_model is Member
    ]
    member_type = types.get(("members", "member"))
    for pk in erased:
        ModelLogEntry.objects.filter(content_type_id=member_type, object_id=str(pk)).update(
            label=f"{ERASED} #{pk}", data={}
        )
        for model, field, content_type in rows:
            if content_type is None:
                continue
            keys = (
                model._base_manager.filter(**{field: pk})
                .annotate(key=Cast("pk", models.CharField()))
                .values("key")
            )
            name = str(model._meta.verbose_name)
            ModelLogEntry.objects.filter(content_type_id=content_type, object_id__in=keys).update(
                label=f"{name[:1].upper()}{name[1:]} of {ERASED.lower()} #{pk}", data={}
            )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0025_same_phone_note_by_id"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
