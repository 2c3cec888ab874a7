from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "club"
    verbose_name = "Clubs"

    def ready(self) -> None:
        from django.db import models
        from wagtail.admin.forms.models import register_form_field_override

        from club import lookups  # noqa: F401  (registers the any_of lookup)
        from club.forms import TimeOfDayField

        # Every time of day on a back-office form (quiet hours, opening hours, timetable
        # slots) in place of Wagtail's picker, which silently rewrites bad input.
        register_form_field_override(models.TimeField, override={"form_class": TimeOfDayField})
