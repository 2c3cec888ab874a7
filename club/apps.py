from django.apps import AppConfig


class ClubConfig(AppConfig):
    name = "club"
    verbose_name = "Clubs"

    def ready(self) -> None:
        from club import lookups  # noqa: F401  (registers the any_of lookup)
