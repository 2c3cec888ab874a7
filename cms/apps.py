from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Public site"

    def ready(self):
        from cms.trials import CONSENT_SOURCE
        from members import timeline
        from members.models import MemberEvent

        timeline.label_codes(
            [MemberEvent.Kind.CONSENT_CHANGED],
            "source",
            {"portal": "Member portal", CONSENT_SOURCE: "Trial form"},
        )
