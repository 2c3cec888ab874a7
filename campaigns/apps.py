from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Lifecycle and campaigns"

    def ready(self):
        # Registers the data export's sections, and the eraser and checks of erasure.
        from campaigns import erasure, exports  # noqa: F401
        from members import timeline
        from members.models import MemberEvent

        # The consent changes our webhooks and links make, in words on the timeline.
        timeline.label_codes(
            [MemberEvent.Kind.CONSENT_CHANGED],
            "source",
            {
                "sms_stop": "Replied STOP",
                "sms_start": "Replied START",
                "twilio_21610": "Opted out at the carrier (Twilio 21610)",
                "email_unsubscribe": "Unsubscribe link (email)",
                "sms_unsubscribe": "Unsubscribe link (SMS)",
            },
        )
