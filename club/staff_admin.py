"""The Staff screen: managers add their clubs' staff logins, change their roles and clubs,
and deactivate or reactivate them, without a superuser (`club/staff.py` does the work).

Rows are `StaffMember`s (users minus superusers) of the manager's clubs, through
`admin_access.scope` like every CRM screen: someone who works only at other clubs is a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Prefetch
from django.urls import path, reverse
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.widgets.button import Button

from club import roles, staff
from club.admin_access import (
    ClubScopedViewSet,
    ScopedCreateView,
    ScopedDeleteView,
    ScopedEditView,
    ScopedForm,
    ScopedIndexView,
)
from club.models import Club, StaffMember


class StaffForm(ScopedForm):
    roles = forms.MultipleChoiceField(
        choices=[(name, name) for name in roles.ALL],
        widget=forms.CheckboxSelectMultiple,
        help_text="What they may do; managers also run this screen.",
    )
    # ScopedForm narrows the choices to the manager's own clubs.
    clubs = forms.ModelMultipleChoiceField(
        queryset=Club.objects.all(), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = StaffMember
        fields = ["first_name", "last_name", "email", "username"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        ours = self.fields["clubs"].queryset
        if self.instance.pk:
            self.initial["roles"] = staff.held_roles(self.instance)
            self.initial["clubs"] = list(ours.filter(staff=self.instance))
            # Someone who also works at a club the manager does not manage may be let go here.
            self.fields["clubs"].required = False
        elif len(ours[:2]) == 1:
            self.initial["clubs"] = list(ours)
        if self.instance.pk and self.instance.pk == self.for_user.pk:
            for name in ("roles", "clubs"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Your own are changed by another manager."

    def clean_username(self):
        username = self.cleaned_data["username"]
        if self._taken("username__iexact", username):
            return self.add_error("username", "This login is taken: choose another.")
        return username

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if self._taken("email__iexact", email):
            self.add_error("email", "Another login already has this email.")
        return email

    def _taken(self, lookup: str, value: str) -> bool:
        # Every login counts, superusers included (StaffMember's manager leaves them out).
        others = get_user_model()._default_manager.exclude(pk=self.instance.pk)
        return others.filter(**{lookup: value}).exists()

    def validate_unique(self):
        pass  # said above, case-insensitively and over every login


class StaffEditForm(StaffForm):
    class Meta(StaffForm.Meta):
        fields = ["first_name", "last_name", "email"]


class StaffFormMixin:
    """Says a refusal of `club.staff` on the form, with nothing saved."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except staff.Refused as refusal:
            form.add_error(refusal.field, str(refusal))
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class StaffIndexView(ScopedIndexView):
    def get_base_queryset(self):
        # Roles and clubs for the whole page in two queries, not two per row.
        return (
            super()
            .get_base_queryset()
            .prefetch_related(
                Prefetch("groups", queryset=Group.objects.filter(name__in=roles.ALL)), "clubs"
            )
        )

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.user_has_permission("change"):
            buttons += [MenuItem(b.label, b.url, icon_name=b.icon_name) for b in actions(instance)]
        return buttons


class AddStaffView(StaffFormMixin, ScopedCreateView):
    submit_button_label = "Add and email a password link"

    def save_instance(self):
        return staff.add(by=self.request.user, **_fields(self.form.cleaned_data))

    def get_success_message(self, instance):
        return (
            f"{instance} added. {instance.email} gets a link to set a password "
            "(it works once, for a few days)."
        )


class EditStaffView(StaffFormMixin, ScopedEditView):
    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        try:
            staff.require_manageable(self.object, by=self.request.user)
        except staff.Refused as refusal:
            # Said before anything is typed, with the fields shown read-only: a Save would
            # only be refused (their login serves a club this manager does not manage).
            if self.request.method == "GET":
                messages.warning(self.request, str(refusal))
            for field in form.fields.values():
                field.disabled = True
        return form

    def save_instance(self):
        data = _fields(self.form.cleaned_data)
        del data["username"]
        staff.change(self.object, by=self.request.user, **data)
        return self.object

    @property
    def header_more_buttons(self):
        return [*super().header_more_buttons, *actions(self.object)]


def _fields(data: dict) -> dict:
    return {
        "username": data.get("username"),
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "email": data["email"],
        "role_names": data["roles"],
        "clubs": data["clubs"],
    }


def actions(user: StaffMember) -> list[Button]:
    """Deactivate or reactivate, and a new password link, as buttons for `user`."""
    pk = [user.pk]
    if user.is_active:
        return [
            Button("Deactivate", reverse("staff:deactivate", args=pk), icon_name="lock"),
            Button("Email a password link", reverse("staff:password", args=pk), icon_name="mail"),
        ]
    return [Button("Reactivate", reverse("staff:reactivate", args=pk), icon_name="lock-open")]


class StaffActionView(ScopedDeleteView):
    """Confirm, then one `club.staff` call on POST; a POST again changes nothing twice."""

    permission_required = "change"
    template_name = "club/staff_confirm.html"
    url_name = ""
    button_label = ""

    def get_delete_url(self):
        return reverse(f"staff:{self.url_name}", args=[self.object.pk])

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except staff.Refused as refusal:
            self.error_message = str(refusal)
            return self.render_to_response(self.get_context_data())


class DeactivateView(StaffActionView):
    page_title = "Deactivate"
    url_name = "deactivate"
    button_label = "Yes, deactivate"

    @property
    def confirmation_message(self):
        return (
            f"Deactivate {self.object}? They are signed out and cannot sign in again until "
            "a manager reactivates them. Their name stays on everything they did."
        )

    def delete_action(self):
        self.done = staff.deactivate(self.object, by=self.request.user)

    def get_success_message(self):
        return f"{self.object} is deactivated." if self.done else f"{self.object} was inactive."


class ReactivateView(StaffActionView):
    page_title = "Reactivate"
    url_name = "reactivate"
    button_label = "Yes, reactivate"

    @property
    def confirmation_message(self):
        return f"Let {self.object} sign in again, with the roles and clubs shown on the list?"

    def delete_action(self):
        self.done = staff.reactivate(self.object, by=self.request.user)

    def get_success_message(self):
        return f"{self.object} may sign in again." if self.done else f"{self.object} was active."


class PasswordLinkView(StaffActionView):
    page_title = "Email a password link"
    url_name = "password"
    button_label = "Yes, send it"

    @property
    def confirmation_message(self):
        return (
            f"Email {self.object.email} a link to set a new password? Their current password "
            "keeps working until they use it."
        )

    def delete_action(self):
        staff.password_link(self.object, by=self.request.user)

    def get_success_message(self):
        return f"A link to set a password is on its way to {self.object.email}."


def _roles_column(user) -> str:
    return ", ".join(staff.held_roles(user)) or "—"


class StaffViewSet(ClubScopedViewSet):
    model = StaffMember
    name = "staff"
    club_path = "clubs"
    icon = "group"
    menu_label = "Staff"
    menu_order = 805  # between Clubs and Integrations
    add_to_admin_menu = True
    # "change" covers deactivating and reactivating; a login is never deleted.
    actions = ("view", "add", "change")
    index_view_class = StaffIndexView
    add_view_class = AddStaffView
    edit_view_class = EditStaffView
    add_form_class = StaffForm
    list_display = [
        "name",
        "username",
        "email",
        Column("roles", label="Roles", accessor=_roles_column),
        Column(
            "clubs",
            label="Clubs",
            accessor=lambda user: ", ".join(club.name for club in user.clubs.all()),
        ),
        StatusTagColumn(
            "is_active",
            label="Status",
            accessor=lambda user: "Active" if user.is_active else "Deactivated",
            sort_key="is_active",
            primary=lambda user: user.is_active,
        ),
        DateColumn("last_login", label="Last login", sort_key="last_login"),
    ]
    list_filter = ["is_active"]
    search_fields = ["first_name", "last_name", "username", "email"]
    ordering = ["last_name", "first_name", "username"]
    list_per_page = 50

    def get_form_class(self, for_update=False):
        return StaffEditForm if for_update else StaffForm

    def get_urlpatterns(self):
        pk = "<int:pk>/"
        return [
            *super().get_urlpatterns(),
            path(f"deactivate/{pk}", self.construct_view(DeactivateView), name="deactivate"),
            path(f"reactivate/{pk}", self.construct_view(ReactivateView), name="reactivate"),
            path(f"password/{pk}", self.construct_view(PasswordLinkView), name="password"),
        ]
