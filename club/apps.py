from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "club"
    verbose_name = "Clubs"

    def ready(self) -> None:
        from django.db import models
        from wagtail.admin.forms.models import register_form_field_override

        from club import lookups  # noqa: F401  (registers the any_of lookup)
        from club.forms import DayField, MomentField, TimeOfDayField

        # Every time of day, date and moment on a back-office form (quiet hours, opening hours,
        # timetable slots, memberships, freezes, class sessions) in the browser's own inputs,
        # in place of Wagtail's pickers, which silently rewrite bad input.
        register_form_field_override(models.TimeField, override={"form_class": TimeOfDayField})
        register_form_field_override(models.DateField, override={"form_class": DayField})
        register_form_field_override(models.DateTimeField, override={"form_class": MomentField})
