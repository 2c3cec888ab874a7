"""The member chooser: a search-as-you-type dialog for forms that pick a member.

A club has up to 100,000 members, far too many for a dropdown. The dialog finds them with
the front desk's search (Member.objects.search) among the staff member's clubs only, and
the form field behind it accepts only those (club.admin_access.ScopedForm).
"""

from django import forms
from django.utils.formats import date_format
from django.utils.functional import cached_property
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column

from club import roles
from club.admin_access import ClubScopedChooserViewSet, ScopedChooseResultsView, ScopedChooseView
from club.display import FULL_DATE
from club.templatetags.phones import phone
from members.models import Member


def born(member: Member) -> str:
    return date_format(member.birth_date, FULL_DATE) if member.birth_date else ""


def born_year(member: Member) -> str:
    """The year alone, for staff who see no contact details (trainers): enough to tell two of
    one name apart, without the birthday that, with a name, confirms who someone is."""
    return str(member.birth_date.year) if member.birth_date else ""


def born_column(user, **kwargs) -> Column:
    """The "Born" column as this user may read it: the date, or for trainers the year."""
    full = roles.has_role(user, *roles.SEES_CONTACTS)
    return Column("birth_date", label="Born", accessor=born if full else born_year, **kwargs)


class MemberSearchForm(BaseFilterForm):
    # Named q so that Wagtail's modal searches as the user types.
    q = forms.CharField(
        label="Name, phone, email or card",
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Search members", "autocomplete": "off"}),
    )

    # Whether phones and emails are searched too: not for trainers (roles.SEES_CONTACTS).
    contacts = True

    def filter(self, objects):
        query = (self.cleaned_data.get("q") or "").strip()
        if not query:
            return objects
        self.is_searching, self.search_query = True, query
        return self.search(objects, query)

    def search(self, objects, query: str):
        return objects.search(query, contacts=self.contacts)


class ContactSearchMixin:
    """A chooser whose search box takes phones and emails only from staff who see them."""

    def get_filter_form(self):
        form = super().get_filter_form()
        if not roles.has_role(self.request.user, *roles.SEES_CONTACTS):
            form.contacts = False
            form.fields["q"].label = form.fields["q"].label.replace(", phone, email or", " or")
        return form


class MemberListingMixin(ContactSearchMixin):
    filter_form_class = MemberSearchForm
    ordering = ["last_name", "first_name", "pk"]

    def get_object_list(self):
        return super().get_object_list().select_related("home_club")

    @property
    def title_column(self):
        column = super().title_column
        column.label = "Name"
        return column

    @cached_property
    def columns(self):
        columns = [
            *super().columns,
            Column("status", label="Status", accessor="get_status_display"),
            # Tells two of one name apart for everyone; trainers read the year only.
            born_column(self.request.user),
            Column("home_club", label="Club"),
        ]
        # The desk tells two Jansens apart by phone and email; trainers see no contact details.
        if roles.has_role(self.request.user, *roles.SEES_CONTACTS):
            columns += [
                Column("phone", label="Phone", accessor=lambda m: phone(m.phone, m.home_club)),
                Column("email", label="Email"),
            ]
        return columns


class MemberChooseView(MemberListingMixin, ScopedChooseView):
    pass


class MemberChooseResultsView(MemberListingMixin, ScopedChooseResultsView):
    pass


class MemberChooserViewSet(ClubScopedChooserViewSet):
    model = Member
    club_path = "home_club"
    icon = "user"
    choose_one_text = "Choose a member"
    choose_another_text = "Choose another member"
    edit_item_text = "Edit member"
    choose_view_class = MemberChooseView
    choose_results_view_class = MemberChooseResultsView


member_chooser = MemberChooserViewSet("member_chooser", url_prefix="member-chooser")
