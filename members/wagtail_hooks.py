"""Back-office screens for members, their consent log and their timeline."""

from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import modelform_factory
from django.urls import path, reverse
from django.utils.functional import cached_property
from wagtail import hooks
from wagtail.admin.search import SearchArea
from wagtail.admin.ui.tables import BooleanColumn, Column, StatusTagColumn, TitleColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.viewsets.model import ModelViewSetGroup
from wagtail.log_actions import log

from club import roles
from club.admin_access import (
    ClubScopedViewSet,
    RoleMenuItem,
    ScopedCreateView,
    ScopedEditView,
    ScopedFilterSet,
    ScopedForm,
    ScopedIndexView,
    ScopedInspectView,
    date_range_filter,
)
from club.display import export_datetime
from club.templatetags.phones import phone
from members import consent, import_admin, leads, search, timeline
from members.choosers import born, born_column, member_chooser
from members.interests import InterestsField
from members.models import Channel, ConsentLog, Member, MemberEvent

CONTACT_COLUMNS = {"phone", "email", "card_token"}

# Where a member's name in the list leads is up to the apps above members, which own those
# pages (checkin: the desk's member card, a trainer's attendance page): fn(request) returns
# fn(member) -> URL, or None to leave it to the next hook. With none, the name opens the
# edit form, as Wagtail's lists do; Edit stays in the row's menu either way.
MEMBER_PAGE_HOOK = "member_page_url"

# A file of every member's contacts is a bulk extract, not a lookup: it is for managers and
# marketing (mailings, reports). The front desk finds one person at a time on the list and
# the desk; trainers do not even see the contact columns.
EXPORTS_MEMBERS = (roles.MARKETING, roles.MANAGER)

# The consent log's source for a change staff record on the member's edit form (a member
# phones: "stop texting me"); the log names the staff member too.
STAFF_CONSENT_SOURCE = "staff"

# Excel reads a CSV without a byte-order mark in the computer's legacy code page ("ZoÃ«").
UTF8_BOM = "\ufeff"


def member_phone(member: Member) -> str:
    """The phone as the desk shows it: as dialled at the member's home club."""
    return phone(member.phone, member.home_club)


def member_created(member: Member) -> str:
    return export_datetime(member.created_at, member.home_club)


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def member_page(request) -> Callable[[Member], str] | None:
    for hook in hooks.get_hooks(MEMBER_PAGE_HOOK):
        if (page_of := hook(request)) is not None:
            return page_of
    return None


class ExportIndexView(ScopedIndexView):
    """A list that downloads as CSV or XLSX what it lists (scoped to the user's clubs,
    filtered, searched), for the roles that download members (EXPORTS_MEMBERS):
    the rows name members. Everyone else who may read the list gets no buttons, and the
    download's URL is refused."""

    def dispatch(self, request, *args, **kwargs):
        if self.is_export:
            roles.require(request.user, *EXPORTS_MEMBERS)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def show_export_buttons(self):
        return roles.has_role(self.request.user, *EXPORTS_MEMBERS)

    def stream_csv(self, queryset):
        yield UTF8_BOM.encode()
        yield from super().stream_csv(queryset)

    def write_csv_response(self, queryset):
        response = super().write_csv_response(queryset)
        response["Content-Type"] = "text/csv; charset=utf-8"
        return response


class OpensMemberCard:
    """A list whose title column opens the row's member's page (their card at the desk), for
    those a hook gives one (member_page); the row's own form stays in its menu."""

    @staticmethod
    def member_of(row) -> Member:
        return row

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        # Asked once per list, not per row: the hooks check the user's roles.
        if (page_of := member_page(self.request)) is None:
            return super()._get_title_column(field_name, column_class, **kwargs)
        return self._get_custom_column(
            field_name,
            self._get_title_column_class(column_class),
            get_url=lambda row: page_of(self.member_of(row)),
            **kwargs,
        )


class MemberIndexView(OpensMemberCard, ExportIndexView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # An erased member is kept for the figures, not listed (members.erasure).
        self.queryset = self.queryset.not_erased()

    def to_row_dict(self, item):
        # The export reads the listed queryset (scoped, filtered, searched): what the list shows.
        row = super().to_row_dict(item)
        # E.164, not as the desk reads it out: the file goes to mailing and SMS tools, and to
        # other countries' clubs, where "06 12345678" is no number at all.
        row["phone"] = str(item.phone or "")
        row["created_at"] = member_created(item)
        row["sms_consent"] = yes_no(item.sms_consent)
        row["email_consent"] = yes_no(item.email_consent)
        return row

    def search_queryset(self, queryset):
        # The front desk's search: card, phone in any format, email, accent-blind name.
        if not self.is_searching:
            return queryset
        sees_contacts = roles.has_role(self.request.user, *roles.SEES_CONTACTS)
        return queryset.search(self.search_query, contacts=sees_contacts)

    @cached_property
    def columns(self):
        # Trainers see who is in their classes, not how to reach them (SCREENS.md), and of a
        # birth date the year.
        if roles.has_role(self.request.user, *roles.SEES_CONTACTS):
            return super().columns
        return [
            born_column(self.request.user, sort_key="birth_date")
            if column.name == "birth_date"
            else column
            for column in super().columns
            if column.name not in CONTACT_COLUMNS
        ]


class LeadForm(ScopedForm):
    class Meta:
        model = Member
        fields = ["home_club", "first_name", "last_name", "email", "phone", "source"]

    def clean(self):
        # As the desk's walk-in form and the API: a lead needs a phone or an email, and a
        # person another club of the chain knows is not registered a second time
        # (leads.known_elsewhere).
        data = super().clean()
        if not self.errors:
            leads.require_contact(email=data.get("email", ""), phone=str(data.get("phone") or ""))
        if not self.errors and (club := data.get("home_club")):
            elsewhere = leads.known_elsewhere(
                club,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
                phone=str(data.get("phone") or ""),
            )
            if elsewhere:
                raise ValidationError(elsewhere.message(club))
            # The same email under another name is another person (leads.email_of_another).
            if owner := leads.email_of_another(
                club,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            ):
                raise leads.EmailOfAnother(owner)
        return data


class MemberForm(ScopedForm):
    """The member's edit form. Consent is shown and changed here, but through
    members.consent (a consent log row with the staff member and what the member said),
    never by writing the flags: the consent_* fields are not the model's."""

    interests = InterestsField()
    consent_sms = forms.BooleanField(required=False, label="SMS consent")
    consent_email = forms.BooleanField(required=False, label="Email consent")
    consent_wording = forms.CharField(
        required=False,
        max_length=1000,
        label="What the member agreed to",
        help_text="Needed when you give consent (kept in the consent log with your name), "
        "e.g. “Phoned 24 Nov: yes, text me about classes and offers.”",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    # What each box showed when the form was loaded, posted back: a box the staff member did
    # not touch is no change, even if an SMS "STOP" withdrew consent since.
    consent_sms_shown = forms.BooleanField(required=False, widget=forms.HiddenInput)
    consent_email_shown = forms.BooleanField(required=False, widget=forms.HiddenInput)

    CONSENT_FIELDS = {Channel.SMS: "consent_sms", Channel.EMAIL: "consent_email"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for channel, name in self.CONSENT_FIELDS.items():
            self.fields[name].initial = self.instance.has_consent(channel)
            self.fields[f"{name}_shown"].initial = self.instance.has_consent(channel)

    def clean_card_token(self):
        # Stored as every lookup reads it ("04 ab cd" is 04ABCD), and checked unique in that
        # form, so a card another member holds is a field error rather than a failed save.
        return search.card_token(self.cleaned_data["card_token"] or "") or None

    def clean_email(self):
        # As Add: the chain keeps one record per person, and the same email is the same
        # person. Only a changed address is checked, so a record that already shares one
        # (from before this rule) can still be edited.
        email = self.cleaned_data["email"]
        if email.lower() != self.instance.email.lower() and (
            club := leads.email_taken(email, other_than=self.instance)
        ):
            raise ValidationError(
                f"Someone with this email is already registered at {club.name}: the chain "
                "keeps one record per person."
            )
        return email

    def clean(self):
        data = super().clean()
        changes = self.consent_changes()
        if (
            changes.get(Channel.SMS)
            and "phone" not in self.errors
            and (problem := consent.sms_consent_problem(data.get("phone")))
        ):
            self.add_error("consent_sms", problem)
        if changes.get(Channel.EMAIL) and not data.get("email") and "email" not in self.errors:
            self.add_error("consent_email", "Email consent needs an email address.")
        if any(changes.values()) and not data.get("consent_wording", "").strip():
            self.add_error(
                "consent_wording", "Write what the member agreed to: the consent log keeps it."
            )
        return data

    def consent_changes(self) -> dict[str, bool]:
        """The channels whose box moved, with the new setting."""
        return {
            channel: self.cleaned_data[name]
            for channel, name in self.CONSENT_FIELDS.items()
            if name in self.cleaned_data and self.cleaned_data[name] != self._shown(name)
        }

    def _shown(self, name: str) -> bool:
        """The box as the form showed it: posted back with it, else (a post without it) as
        stored now."""
        if f"{self.add_prefix(name)}_shown" in self.data:
            return self.cleaned_data.get(f"{name}_shown", False)
        return self.fields[name].initial

    def model_fields_changed(self) -> list[str]:
        """The member's own columns this form changed: all a save may write, so a change made
        meanwhile elsewhere (consent withdrawn by SMS, a card issued at the desk) survives."""
        return [name for name in self.changed_data if name in self._meta.fields]


class MemberCreateView(ScopedCreateView):
    """Registers a walk-in or caller as a lead, or finds them if the club already knows them."""

    page_subtitle = "Lead"
    submit_button_label = "Register"
    submit_button_active_label = "Registering…"

    def save_instance(self):
        data = dict(self.form.cleaned_data)
        member, self.created = leads.capture(
            data.pop("home_club"), **data, consent_source="desk", recorded_by=self.request.user
        )
        return member

    def get_success_message(self, instance):
        if self.created:
            return super().get_success_message(instance)
        return f"{instance} is already registered at {instance.home_club}: nothing was added."

    def get_success_url(self):
        # Card, birth date and photo are added on the member's page, right after.
        if self.user_has_permission("change"):
            return self.get_edit_url()
        return super().get_success_url()


class MemberEditView(ScopedEditView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Nothing of an erased member is left to edit, and nothing may be typed back in.
        self.queryset = self.queryset.not_erased()

    # Opened from the desk's member card ("Edit details", with ?next=), saving goes back to
    # the card rather than to the members list.
    def get_edit_url(self):
        url = super().get_edit_url()
        next_url = get_valid_next_url_from_request(self.request)
        return f"{url}?{urlencode({'next': next_url})}" if next_url else url

    def get_success_url(self):
        return get_valid_next_url_from_request(self.request) or super().get_success_url()

    def save_instance(self):
        # Wagtail runs this in a transaction: the record and its consent change commit together.
        # Only the columns the form changed are written (Wagtail's form.save() writes every
        # one, as loaded); consent goes through members.consent alone.
        member = self.form.save(commit=False)
        if fields := self.form.model_fields_changed():
            member.save(update_fields=fields)
        self.has_content_changes = self.form.has_changed()
        log(instance=member, action="wagtail.edit", content_changed=self.has_content_changes)
        for channel, granted in self.form.consent_changes().items():
            consent.set_consent(
                member,
                channel,
                granted=granted,
                source=STAFF_CONSENT_SOURCE,
                wording=self.form.cleaned_data["consent_wording"].strip(),
                recorded_by=self.request.user,
            )
        return member


class MemberViewSet(ClubScopedViewSet):
    model = Member
    name = "members"
    club_path = "home_club"
    icon = "user"
    menu_label = "Members"
    index_view_class = MemberIndexView
    edit_view_class = MemberEditView
    add_view_class = MemberCreateView
    add_form_class = LeadForm
    list_display = [
        "full_name",
        StatusTagColumn(
            "status",
            accessor="get_status_display",
            sort_key="status",
            primary=lambda member: member.status == Member.Status.MEMBER,
        ),
        # As the desk shows it ("06 12345678"), not as stored ("+31612345678").
        Column("phone", label="Phone", accessor=member_phone, sort_key="phone"),
        "email",
        # Two of one name are told apart by it, on every role's list (trainers see no phone,
        # and the year only: MemberIndexView.columns).
        Column("birth_date", label="Born", accessor=born, sort_key="birth_date"),
        "home_club",
        Column("card_token", label="Card", sort_key="card_token"),
    ]
    list_select_related = ("home_club",)
    list_export = [
        "full_name",
        "get_status_display",
        "phone",
        "email",
        "sms_consent",
        "email_consent",
        "home_club",
        "created_at",
    ]
    export_headings = {
        "full_name": "Name",
        "get_status_display": "Status",
        "phone": "Phone",
        "email": "Email",
        "sms_consent": "SMS consent",
        "email_consent": "Email consent",
        "home_club": "Home club",
        "created_at": "Created",
    }
    export_filename = "members"
    list_filter = ["status", "home_club", "source"]
    # These switch the search box on; MemberIndexView searches with Member.objects.search.
    search_fields = ["first_name", "last_name", "email", "phone", "card_token"]
    ordering = ["last_name", "first_name"]
    list_per_page = 50
    # Status follows the memberships (memberships.statuses), so it is not typed in here;
    # consent is, but through MemberForm's own fields, which go through members.consent.
    form_fields = [
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "photo",
        "card_token",
        "home_club",
        "source",
        "interests",
        "notes",
    ]

    def get_urlpatterns(self):
        # Members › Import: the upload, its preview and the confirmation (members.import_admin).
        return [
            *super().get_urlpatterns(),
            path("import/", import_admin.import_members, name="import"),
            path("import/confirm/", import_admin.confirm_import, name="import_confirm"),
            *(
                path(
                    f"import/template.{file_format}",
                    import_admin.import_template,
                    {"file_format": file_format},
                    name=f"import_template_{file_format}",
                )
                for file_format in ("csv", "xlsx")
            ),
        ]

    def get_form_class(self, for_update=False):
        if for_update:
            return modelform_factory(self.model, form=MemberForm, fields=self.form_fields)
        return super().get_form_class(for_update)


class ConsentLogViewSet(ClubScopedViewSet):
    model = ConsentLog
    name = "consent_log"
    url_prefix = "consent-log"
    club_path = "member__home_club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "tick"
    menu_label = "Consent log"
    list_display = [
        "member",
        "channel",
        BooleanColumn("granted", label="Granted", sort_key="granted"),
        "source",
        "recorded_by",
        "at",
    ]
    list_select_related = ("member", "recorded_by")
    list_filter = ["channel", "granted"]
    search_fields = ["member__first_name", "member__last_name", "member__email", "source"]
    ordering = ["-at", "-id"]
    list_per_page = 50


class MemberEventFilterSet(ScopedFilterSet):
    at = date_range_filter("Date")

    class Meta:
        model = MemberEvent
        fields = ["kind"]


class MemberEventInspectView(ScopedInspectView):
    """The event with what its data says in words (reasons and source, labelled as the member
    card labels them) above the data as stored."""

    def get_field_label(self, field_name, field):
        return "Details" if field_name == "details" else super().get_field_label(field_name, field)

    def get_details_display_value(self):
        return timeline.details(self.object) or "-"


class MemberEventViewSet(ClubScopedViewSet):
    model = MemberEvent
    inspect_view_class = MemberEventInspectView
    inspect_view_fields = ["kind", "member", "actor", "at", "details", "data"]
    name = "timeline"
    club_path = "member__home_club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "history"
    menu_label = "Timeline events"
    list_display = ["kind", "member", Column("details", accessor=timeline.details), "actor", "at"]
    list_select_related = ("member", "actor")
    filterset_class = MemberEventFilterSet
    search_fields = ["member__first_name", "member__last_name", "member__email"]
    ordering = ["-at", "-id"]
    list_per_page = 50


class MembersGroup(ModelViewSetGroup):
    menu_label = "Members"
    menu_icon = "group"
    menu_order = 200
    items = (MemberViewSet, ConsentLogViewSet, MemberEventViewSet)

    def get_submenu_items(self):
        # Import is a screen of its own, not a viewset: shown to those who may import.
        items = super().get_submenu_items()
        import_item = RoleMenuItem(
            "Import",
            reverse("members:import"),
            shown_to=import_admin.IMPORTS_MEMBERS,
            icon_name="upload",
            order=len(items) + 1,
        )
        return [*items, import_item]


@hooks.register("register_admin_viewset")
def register_members_viewsets():
    return [MembersGroup(), member_chooser]


class MemberSearchArea(SearchArea):
    """The sidebar's search box finds members, for staff who may read them: it used to search
    the public site's pages, which most staff may not, and answered "no permission". The
    front desk's box goes to the desk instead (checkin's DeskSearchArea, earlier in order)."""

    def __init__(self):
        super().__init__(
            "Members", reverse("members:index"), name="members", icon_name="user", order=20
        )

    def is_shown(self, request) -> bool:
        user = request.user
        return user.has_perm("members.view_member") and not roles.has_role(user, *roles.DESK)


@hooks.register("register_admin_search_area")
def register_member_search_area():
    return MemberSearchArea()
