from django.apps import AppConfig


class MembershipsConfig(AppConfig):
    name = "memberships"

    def ready(self):
        # Registers the data export's sections, and the eraser and checks of erasure.
        from members import timeline
        from members.models import MemberEvent
        from memberships import erasure, exports  # noqa: F401
        from memberships.models import Payment
        from memberships.stripe.events import DECLINE_REASONS

        payments = [
            MemberEvent.Kind.PAYMENT_RECEIVED,
            MemberEvent.Kind.PAYMENT_FAILED,
            # a sale at the desk carries its payment's method
            MemberEvent.Kind.MEMBERSHIP_STARTED,
            MemberEvent.Kind.MEMBERSHIP_RENEWED,
        ]
        timeline.label_codes(payments, "method", Payment.Method.choices)
        timeline.label_codes([MemberEvent.Kind.PAYMENT_FAILED], "reason", DECLINE_REASONS)
