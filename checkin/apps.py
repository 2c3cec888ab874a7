from django.apps import AppConfig


class CheckinConfig(AppConfig):
    name = "checkin"
    verbose_name = "Check-in and classes"

    def ready(self):
        # Registers the data export's sections, and the eraser and checks of erasure.
        from checkin import erasure, exports  # noqa: F401
        from checkin.bookings import CANCEL_REASONS, PENALTY_REASONS
        from checkin.models import CheckInAttempt, Source
        from members import timeline
        from members.models import MemberEvent

        # The timeline says our codes in the words the desk uses (members cannot import them).
        Kind = MemberEvent.Kind
        reasons = CheckInAttempt.Reason.choices
        timeline.label_codes([Kind.CHECK_IN_DENIED], "reason", reasons)
        timeline.label_codes([Kind.VISIT], "denied_reason", reasons)  # admitted anyway
        timeline.label_codes([Kind.BOOKING_PENALTY], "reason", PENALTY_REASONS)
        timeline.label_codes([Kind.CLASS_CANCELLED_BY_MEMBER], "reason", CANCEL_REASONS)
        timeline.label_codes([Kind.VISIT, Kind.CHECK_IN_DENIED], "source", Source.choices)
