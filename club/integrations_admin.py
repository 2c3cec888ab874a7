"""Back-office screen where managers issue and revoke the API tokens of their clubs'
integrations (turnstiles, the website).

A token is shown once, on the page that answers the form, and never stored: the database
keeps its SHA-256 (`Integration.issue`). Revoking is for good and takes effect at once
(`Integration.revoke` drops the API's cached copy).
"""

from django import forms
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.log_actions import log

from club.admin_access import (
    ClubScopedViewSet,
    ScopedCreateView,
    ScopedDeleteView,
    ScopedForm,
    ScopedIndexView,
)
from club.models import Integration

REVOKE_ACTION = "club.integration.revoke"


class IntegrationForm(ScopedForm):
    scopes = forms.MultipleChoiceField(
        choices=Integration.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="What the token may do; give each integration only what it needs.",
    )

    class Meta:
        model = Integration
        fields = ["name", "club", "scopes"]
        help_texts = {"name": "Say which device or site holds it, e.g. “Main entrance turnstile”."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        clubs = self.fields["club"].queryset
        if len(clubs[:2]) == 1:
            self.fields["club"].initial = clubs[0]

    def clean(self):
        data = super().clean()
        club, name = data.get("club"), data.get("name")
        if club and name and (clash := Integration.name_clash(club, name)):
            self.add_error("name", clash)
        return data


class IntegrationIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.is_active and self.user_has_permission("change"):
            url = reverse("integrations:revoke", args=[instance.pk])
            buttons.append(MenuItem("Revoke", url, icon_name="cross", priority=30))
        return buttons


class IssueView(ScopedCreateView):
    submit_button_label = "Issue token"
    submit_button_active_label = "Issuing…"

    def save_instance(self):
        data = self.form.cleaned_data
        integration, self.token = Integration.issue(
            club=data["club"], name=data["name"], scopes=data["scopes"]
        )
        log(instance=integration, action="wagtail.create", content_changed=True)
        return integration

    def save_action(self):
        # The token page answers the POST itself rather than a redirect to it: a redirect
        # would have to keep the token (in the session) until the browser asks for it.
        title = f"Token for {self.object.name}"
        context = {
            **self.get_context_data(),
            "header_title": title,
            "breadcrumbs_items": [
                *self.breadcrumbs_items,
                {"url": reverse(self.index_url_name), "label": "Integrations"},
                {"url": "", "label": title},
            ],
            "integration": self.object,
            "token": self.token,
        }
        response = TemplateResponse(self.request, "club/integration_issued.html", context)
        add_never_cache_headers(response)  # no copy in the browser's cache or history
        return response


class RevokeView(ScopedDeleteView):
    permission_required = "change"
    page_title = "Revoke"

    def get_delete_url(self):
        return reverse("integrations:revoke", args=[self.object.pk])

    @property
    def confirmation_message(self):
        return (
            f"Revoke the token of {self.object}? Anything still using it gets 401 from its "
            "next call on; this cannot be undone (issue a new token instead)."
        )

    def get_success_message(self):
        if self.revoked_now:
            return f"{self.object}: token revoked."
        return f"{self.object}: the token was already revoked."

    def delete_action(self):
        self.revoked_now = self.object.is_active
        if self.revoked_now:
            self.object.revoke()
            log(instance=self.object, action=REVOKE_ACTION)


class IntegrationViewSet(ClubScopedViewSet):
    model = Integration
    name = "integrations"
    club_path = "club"
    icon = "key"
    menu_label = "Integrations"
    menu_order = 810  # after Clubs
    add_to_admin_menu = True
    # "change" is revoking; there is no edit form (a token's scopes are fixed when issued).
    actions = ("view", "add", "change")
    index_view_class = IntegrationIndexView
    add_view_class = IssueView
    add_form_class = IntegrationForm
    delete_view_class = RevokeView
    delete_template_name = "club/integration_revoke.html"
    list_display = [
        "name",
        "club",
        Column("scopes", label="Scopes", accessor=lambda row: ", ".join(row.scopes)),
        Column("token_prefix", label="Token", accessor=lambda row: f"{row.token_prefix}…"),
        DateColumn("created_at", label="Created", sort_key="created_at"),
        DateColumn("last_used_at", label="Last used", sort_key="last_used_at"),  # blank: never
        StatusTagColumn(
            "is_active",
            label="Status",
            accessor=lambda row: "Active" if row.is_active else "Revoked",
            sort_key="is_active",
            primary=lambda row: row.is_active,
        ),
    ]
    list_select_related = ("club",)
    list_filter = ["club", "is_active"]
    search_fields = ["name"]
    ordering = ["club__name", "name"]
    list_per_page = 50

    def get_common_view_kwargs(self, **kwargs):
        # No edit, history or delete screen: their links would lead nowhere.
        return super().get_common_view_kwargs(
            edit_url_name=None, history_url_name=None, delete_url_name=None, **kwargs
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path("revoke/<int:pk>/", self.delete_view, name="revoke"),
        ]
