"""The membership chooser: a search-as-you-type dialog for forms that pick a membership.

A club sells memberships to up to 100,000 members, year after year, far too many for a
dropdown. Staff find one by its member, with the front desk's search (Member.objects.search)
among their own clubs; each row shows plan, dates and status, to tell a member's memberships
apart, as the member card words it (Ended, Upcoming). Cancelled and ended memberships are not
offered: nothing can be done to them any more.
"""

from django.utils.functional import cached_property
from wagtail.admin.ui.tables import Column

from club import clock
from club.admin_access import (
    ClubScopedChooserViewSet,
    ScopedChooseResultsView,
    ScopedChooseView,
    ScopedChosenView,
    clubs_for,
)
from members.choosers import ContactSearchMixin, MemberSearchForm
from members.models import Member
from memberships.models import Membership


class MembershipSearchForm(MemberSearchForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].label = "Member's name, phone, email or card"
        self.fields["q"].widget.attrs["placeholder"] = "Search memberships by member"

    def search(self, objects, query: str):
        # A subquery, so the member's search indexes answer it and no id list is fetched.
        return objects.filter(member__in=Member.objects.search(query, contacts=self.contacts))


class MembershipRowsMixin:
    def get_object_list(self):
        return offered(super().get_object_list(), clubs=clubs_for(self.request.user))


def offered(memberships, *, clubs):
    """The memberships a freeze can be added to: not cancelled and not over, by the calendar
    of the user's club that is furthest behind (the freeze form then checks the membership's
    own club's today)."""
    since = min((clock.today(club) for club in clubs), default=clock.today())
    return (
        memberships.not_cancelled()
        .filter(end__gte=since)
        .select_related("member__home_club", "plan")
    )


class MembershipListingMixin(ContactSearchMixin, MembershipRowsMixin):
    filter_form_class = MembershipSearchForm
    # A member's newest membership first: the one staff are most likely after.
    ordering = ["-start", "-id"]

    @property
    def title_column(self):
        column = super().title_column
        column.label = "Member"
        column.accessor = "member"
        return column

    @cached_property
    def columns(self):
        return [
            *super().columns,
            Column("plan", label="Plan"),
            Column("start", label="Starts"),
            Column("end", label="Ends"),
            Column("status", label="Status", accessor=Membership.state_today),
        ]


class MembershipChooseView(MembershipListingMixin, ScopedChooseView):
    pass


class MembershipChooseResultsView(MembershipListingMixin, ScopedChooseResultsView):
    pass


class MembershipChosenView(MembershipRowsMixin, ScopedChosenView):
    pass


class MembershipChooserViewSet(ClubScopedChooserViewSet):
    model = Membership
    club_path = "member__home_club"
    icon = "clipboard-list"
    choose_one_text = "Choose a membership"
    choose_another_text = "Choose another membership"
    edit_item_text = "Edit membership"
    choose_view_class = MembershipChooseView
    choose_results_view_class = MembershipChooseResultsView
    chosen_view_class = MembershipChosenView


membership_chooser = MembershipChooserViewSet("membership_chooser", url_prefix="membership-chooser")
