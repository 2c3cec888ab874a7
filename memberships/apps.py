from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "memberships"

    def ready(self):
        # Registers the data export's sections, and the eraser and checks of erasure.
        from memberships import erasure, exports  # noqa: F401
