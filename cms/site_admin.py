"""The Clubs screen's "Open public site": a club's own site at an address, by a superuser
(who creates clubs), through `cms.sites.open_site`."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView
from wagtail.admin.auth import permission_denied
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Site

from club.models import Club
from cms import sites
from cms.models import clubs_of_sites

# A host name as the browser sends it: labels of letters, digits and hyphens.
HOSTNAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


class OpenSiteForm(forms.Form):
    hostname = forms.CharField(
        max_length=255,
        help_text="The address visitors type, without http:// or a path, e.g. "
        "“harbour.example.com”.",
    )
    port = forms.IntegerField(
        min_value=1,
        max_value=65535,
        initial=80,
        help_text="80 behind the usual HTTPS proxy; 443 if the proxy passes that on.",
    )

    def clean_hostname(self) -> str:
        hostname = self.cleaned_data["hostname"].strip().lower()
        if not HOSTNAME.match(hostname):
            raise forms.ValidationError(
                "Enter a host name only, like “harbour.example.com” (no http://, port or path)."
            )
        return hostname


def clubs_with_a_site(request) -> set[int]:
    """The clubs some site shows, once per request (the list asks for every row)."""
    if not hasattr(request, "_clubs_with_a_site"):
        shown = clubs_of_sites(list(Site.objects.all()))
        request._clubs_with_a_site = {club for club in shown.values() if club is not None}
    return request._clubs_with_a_site


def listing_buttons(request, club: Club) -> list[MenuItem]:
    if not request.user.is_superuser or club.pk in clubs_with_a_site(request):
        return []
    url = reverse("cms_open_site", args=[club.pk])
    return [MenuItem("Open public site", url, icon_name="site", priority=40)]


class OpenSiteView(WagtailAdminTemplateMixin, FormView):
    form_class = OpenSiteForm
    template_name = "wagtailadmin/generic/form.html"
    header_icon = "site"
    submit_button_label = "Open public site"

    def dispatch(self, request, *args, **kwargs):
        # A site and its pages are the chain's, beyond any one club's staff.
        if not request.user.is_superuser:
            return permission_denied(request)
        self.club = get_object_or_404(Club, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"Open a public site for {self.club.name}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("clubs:index"), "label": "Clubs"},
            {"url": "", "label": "Open public site"},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path,
            submit_button_label=self.submit_button_label,
            submit_button_active_label="Opening…",
            **kwargs,
        )

    def form_valid(self, form):
        try:
            site = sites.open_site(
                self.club, form.cleaned_data["hostname"], port=form.cleaned_data["port"]
            )
        except sites.SiteError as error:
            form.add_error(error.field, error.message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            f"{self.club.name}'s site is open at {site.root_url}/: its home, Schedule, Plans, "
            "Trainers and Free trial pages are ready to edit.",
        )
        return redirect("clubs:index")
