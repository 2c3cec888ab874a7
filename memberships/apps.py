from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "memberships"

    def ready(self):
        from memberships import exports  # noqa: F401 (registers the data export's sections)
