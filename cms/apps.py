from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "Public site"

    def ready(self):
        from cms.trials import CONSENT_SOURCE, NOT_BOOKED_REASONS
        from members import timeline
        from members.models import Member, MemberEvent

        timeline.label_codes(
            [MemberEvent.Kind.CONSENT_CHANGED],
            "source",
            {"portal": "Member portal", CONSENT_SOURCE: "Trial form"},
        )
        # A known person's sign-up on the trial form: what came of it.
        timeline.label_codes([MemberEvent.Kind.TRIAL_SIGNUP], "reason", NOT_BOOKED_REASONS)
        timeline.label_codes([MemberEvent.Kind.TRIAL_SIGNUP], "source", Member.Source.choices)
