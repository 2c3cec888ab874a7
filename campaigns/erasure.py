"""What erasing a member does to the lifecycle's rows about them (members.erasure).

Touchpoints stay with their rule, channel, status, reason and dates, so uplift and the
control groups of past periods do not change; what was written to the person goes (subject,
body, the provider's id and error, which name the number). Touchpoints still to go are
cancelled as no longer true. Stage history holds only stages and dates, and stays.
"""

from campaigns.models import StageChange, Touchpoint
from members.erasure import eraser, keep
from members.models import Member

keep(StageChange, why="stages and dates: time in stage for analytics")


@eraser("campaigns", covers=(Touchpoint,))
def _erase_touchpoints(member: Member) -> None:
    touchpoints = Touchpoint.objects.filter(member=member)
    touchpoints.filter(status__in=[Touchpoint.Status.SCHEDULED, Touchpoint.Status.HOLDING]).update(
        status=Touchpoint.Status.CANCELLED, reason=Touchpoint.Reason.OBSOLETE
    )
    # A `sending` row keeps its status: a worker may be talking to the provider about it,
    # and the dispatcher cancels it before any call once it sees the member erased.
    touchpoints.update(subject="", body="", error="", provider_id="")
