from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"

    def ready(self):
        from members import erasure  # noqa: F401 (registers the members' own eraser)
