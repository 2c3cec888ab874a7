"""The one access helper of the staff back-office: what a staff member may see and do.

Staff work at clubs through `Club.staff`; superusers see every club. Every Wagtail
viewset of the CRM records derives from `ClubScopedViewSet` and names the path from
its model to a Club (`club_path`). Its views fetch rows only through `scope()`, so a
row of another club is missing from lists and answers 404 by URL; form choices and
list filters go through the same function. Who may add or change what comes from the
model permissions the role migrations grant, capped at what each screen offers.

A row of our club may name a member of another (a Downtown member's visit at Riverside):
a viewset's `member_path` has each row marked `member_is_ours` in the query that lists it,
and its screens show such a member as the desk does, "Thijs (another club)", with none of
their club's records (`member_records`). Inspect screens print times on the row's club clock,
and so do lists, each row's on its own club's, labelled with its zone when that is not the page's;
forms take and show them on the clock of the record's club (`ScopedForm`).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import operator
from collections.abc import Callable, Iterable
from functools import reduce
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import (
    FieldDoesNotExist,
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.db.models import DateTimeField, Exists, Model, OuterRef, Q, QuerySet, Value
from django.db.models.constants import LOOKUP_SEP
from django.forms.models import modelform_factory
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.admin_url_finder import NullAdminURLFinder
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.utils import get_user_display_name
from wagtail.admin.views import generic
from wagtail.admin.views.generic import chooser
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.chooser import BaseChooser
from wagtail.coreutils import multigetattr
from wagtail.permission_policies import ModelPermissionPolicy

from club import clock, roles
from club.display import another_clubs_member
from club.forms import bounds_as_the_model
from club.models import Club
from club.spreadsheets import FormulaSafeCsvMixin
from club.time_zones import club_at, form_on_club_clock, on_club_clock

Scope = Callable[[QuerySet, QuerySet[Club]], QuerySet]

# What screens print for an empty value, and for what they may not show.
EMPTY = "—"

# How to narrow each model's rows to a set of clubs, keyed by "app_label.model_name".
# Viewsets add their model when they are created; lower apps never import higher ones.
_scopes: dict[str, Scope] = {
    "club.club": lambda queryset, clubs: queryset.filter(pk__in=clubs),
    # Users (a class's trainer, say) are staff of the clubs; a subquery, so that
    # someone who works at two of them is offered once.
    settings.AUTH_USER_MODEL.lower(): lambda queryset, clubs: queryset.filter(
        pk__in=Club.staff.through.objects.filter(club__in=clubs).values("user_id")
    ),
}
# The lookup to the one club each model's row belongs to ("club", "member__home_club"), for
# the times its forms read on that club's clock; a model of several clubs has none.
_club_paths: dict[str, str] = {"club.club": "pk"}


def clubs_for(user) -> QuerySet[Club]:
    """The clubs a staff member works at; every club for a superuser."""
    return Club.objects.for_staff(user)


class RoleMenuItem(MenuItem):
    """A back-office menu item shown only to staff holding one of `shown_to` (and superusers)."""

    def __init__(self, label: str, url: str, *, shown_to: Iterable[str], **kwargs):
        super().__init__(label, url, **kwargs)
        self.shown_to = tuple(shown_to)

    def is_shown(self, request) -> bool:
        return roles.has_role(request.user, *self.shown_to)


def register(model: type[Model], club_path: str) -> None:
    """Declare the lookup path from `model` to its Club, e.g. "member__home_club"."""
    _club_paths.pop(model._meta.label_lower, None)
    if _leads_to_many(model, club_path):
        # Someone who works at two of the clubs would be listed twice, and get() by URL
        # would find two rows: narrow by a subquery instead of a join.
        _scopes[model._meta.label_lower] = lambda queryset, clubs: queryset.filter(
            pk__in=model._base_manager.filter(**{f"{club_path}__in": clubs}).values("pk")
        )
        return
    _scopes[model._meta.label_lower] = lambda queryset, clubs: queryset.filter(
        **{f"{club_path}__in": clubs}
    )
    _club_paths[model._meta.label_lower] = club_path


def _leads_to_many(model: type[Model], lookup: str) -> bool:
    """Whether some step of `lookup` is a many-to-many or reverse foreign key."""
    for name in lookup.split(LOOKUP_SEP):
        if name == "pk":
            return False
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        model = field.related_model
    return False


def scope(queryset: QuerySet, user) -> QuerySet:
    """The rows of `queryset` that belong to the user's clubs (all of them for a superuser)."""
    if user.is_superuser:
        return queryset
    try:
        narrow = _scopes[queryset.model._meta.label_lower]
    except KeyError:
        # Fail loudly: an unscoped choice would show staff another club's records.
        raise LookupError(
            f"No club path registered for {queryset.model.__name__}: "
            "give its viewset a club_path or call admin_access.register()."
        ) from None
    return narrow(queryset, clubs_for(user))


def with_member_is_ours(queryset: QuerySet, user, member_path: str) -> QuerySet:
    """`queryset` with `member_is_ours` on each row: whether the member at `member_path`
    (e.g. "member") belongs to one of the user's clubs. In the same statement as the rows, so
    a list of a hundred visits costs no query more."""
    if user.is_superuser:
        return queryset.annotate(member_is_ours=Value(True))
    home_club = OuterRef(f"{member_path}{LOOKUP_SEP}home_club_id")
    return queryset.annotate(member_is_ours=Exists(clubs_for(user).filter(pk=home_club)))


def staff_name(user) -> str:
    """How screens name a staff member: "Fiona de Vries", or the username when no name is set."""
    return get_user_display_name(user)


def _is_staff_path(model: type[Model], lookup: str) -> bool:
    """Whether `lookup` ("trainer", "membership.created_by" …) leads from `model` to a user."""
    for name in lookup.replace(".", LOOKUP_SEP).split(LOOKUP_SEP):
        try:
            model = model._meta.get_field(name).related_model
        except (FieldDoesNotExist, AttributeError):
            return False
        if model is None:
            return False
    return model is get_user_model()


def _is_moment(model: type[Model], name: str) -> bool:
    """Whether `name` is a date-and-time field of `model` itself."""
    try:
        return isinstance(model._meta.get_field(name), DateTimeField)
    except FieldDoesNotExist:
        return False


def _staff_name_at(lookup: str) -> Callable[[Model], str | None]:
    def accessor(row: Model) -> str | None:
        try:
            user = multigetattr(row, lookup)
        except AttributeError:
            return None
        return staff_name(user) if user else None

    return accessor


class ScreenPermissionPolicy(ModelPermissionPolicy):
    """The model permissions from the role migrations, capped at the actions a screen offers.

    History rows (ledger, payments, visits, timeline) are written only by their domain
    functions, so their screens offer "view" alone, even to superusers.
    """

    def __init__(self, model, *, actions: Iterable[str]):
        super().__init__(model)
        self.actions = frozenset(actions)

    def user_has_permission(self, user, action):
        return action in self.actions and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a in self.actions])


class ScopedForm(WagtailAdminModelForm):
    """A model form whose related-record choices offer only rows of the staff member's clubs,
    whose dates and times are read and shown on the record's club's clock, and whose numbers
    are bounded as the model's validators bound them (club.forms.bounds_as_the_model)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bounds_as_the_model(self)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = scope(field.queryset, self.for_user)
                if field.queryset.model is get_user_model():
                    field.label_from_instance = staff_name
        if club_path := _club_paths.get(self._meta.model._meta.label_lower):
            form_on_club_clock(self, club_path)


class ScopedFilterSet(WagtailFilterSet):
    """List filters whose choices (clubs, plans, trainers …) are the staff member's own."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        for list_filter in self.filters.values():
            if isinstance(list_filter, django_filters.filters.QuerySetRequestMixin):
                choices = list_filter.get_queryset(request)
                list_filter.queryset = scope(choices, request.user)
                if choices.model is get_user_model():
                    list_filter.field.label_from_instance = staff_name


class DateRangeWidget(DateRangePickerWidget):
    """Wagtail's two date boxes, each with a name a screen reader says ("Date: from"): the
    filter's label belongs to neither box, and a placeholder is no label."""

    def __init__(self, label: str, attrs=None):
        super().__init__(attrs)
        for box, end in zip(self.widgets, ("from", "to"), strict=True):
            box.attrs["aria-label"] = f"{label}: {end}"


def date_range_filter(label: str) -> django_filters.DateFromToRangeFilter:
    """A list filter for rows from one day to another (`at_from`, `at_to` in the URL)."""
    return django_filters.DateFromToRangeFilter(label=label, widget=DateRangeWidget(label))


class ScopedViewMixin:
    """Fetch rows only through scope(), before anything else in the view runs."""

    list_select_related: tuple[str, ...] = ()
    # From the viewset (ClubScopedViewSet says what they are).
    club_path = ""
    member_path = ""
    member_records: tuple[str, ...] = ()
    search_terms: dict = {}

    def setup(self, request, *args, **kwargs):
        # Generic views read self.queryset for their list and for get_object().
        rows = self.model._default_manager.select_related(*self.list_select_related)
        self.queryset = scope(rows, request.user)
        if self.member_path:
            self.queryset = with_member_is_ours(self.queryset, request.user, self.member_path)
        super().setup(request, *args, **kwargs)

    def _club_path_is_one(self) -> bool:
        return self.club_path not in ("", "pk") and not _leads_to_many(self.model, self.club_path)

    def is_members(self, lookup: str) -> bool:
        """Whether `lookup` ("member", "membership", "member.email" …) shows the row's member
        or a record of theirs, which another club's member keeps to their club."""
        lookup = lookup.replace(".", LOOKUP_SEP)
        return bool(self.member_path) and (
            lookup in (self.member_path, *self.member_records)
            or lookup.startswith(self.member_path + LOOKUP_SEP)
        )

    def shown_for(self, row: Model, lookup: str) -> str | None:
        """What the screen shows at `lookup` of `row` instead of its value, when the row names
        another club's member: their first name for the member, a dash for the rest of theirs.
        None when the value is ours to show."""
        if getattr(row, "member_is_ours", True) or not self.is_members(lookup):
            return None
        if lookup.replace(".", LOOKUP_SEP) == self.member_path:
            member = multigetattr(row, self.member_path.replace(LOOKUP_SEP, "."))
            return another_clubs_member(member.first_name)
        return EMPTY

    def row_title(self, row: Model) -> str:
        """The row's name on screen: its str(), which for a visit, a denial or a booking starts
        with the member's full name, with another club's member shown as the desk shows them."""
        title = str(row)
        if (shown := self.shown_for(row, self.member_path)) is not None:
            member = multigetattr(row, self.member_path.replace(LOOKUP_SEP, "."))
            title = title.replace(str(member), shown)
        return title


class ScopedIndexView(FormulaSafeCsvMixin, ScopedViewMixin, generic.IndexView):
    # Its CSV download's cells are inert in a spreadsheet (club.spreadsheets).
    base_filterset_class = ScopedFilterSet

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if self._club_path_is_one():
            # Each row's times print on its club's clock: joined here, not a query per row.
            self.queryset = self.queryset.select_related(self.club_path)

    def search_queryset(self, queryset):
        # Every word must match some field, so "maya jans" finds Maya Jansen although
        # first and last name are separate columns. Plain icontains works on SQLite and
        # PostgreSQL; our models are not in Wagtail's search index.
        if not self.is_searching:
            return queryset
        for word in self.search_query.split():
            matches = (self._search_match(field, word) for field in self.search_fields)
            queryset = queryset.filter(reduce(operator.or_, matches))
        return queryset

    def _search_match(self, field: str, word: str) -> Q:
        if (term := self.search_terms.get(field)) is not None:
            word = term(word)
            if not word:
                return Q(pk__in=[])
        match = Q(**{f"{field}__icontains": word})
        # Another club's member is found by what the list shows of them, their first name:
        # a search for their surname or card must not pick their rows out.
        if self.is_members(field) and field != f"{self.member_path}{LOOKUP_SEP}first_name":
            match &= Q(member_is_ours=True)
        return match

    def get_list_buttons(self, instance):
        buttons = super().get_list_buttons(instance)
        # The row's menu is labelled "More options for '<str(row)>'".
        for button in buttons:
            if label := button.attrs.get("aria-label"):
                button.attrs["aria-label"] = label.replace(str(instance), self.row_title(instance))
        return buttons

    def to_row_dict(self, item):
        # Exports show what the list shows.
        row = super().to_row_dict(item)
        for field in row:
            if (shown := self.shown_for(item, field)) is not None:
                row[field] = shown
        return row

    @cached_property
    def columns(self):
        columns = []
        for column in super().columns:
            accessor = column.accessor
            plain = type(column) is Column and isinstance(accessor, str)
            if plain and _is_staff_path(self.model, accessor):
                # Staff are named as people ("Fiona de Vries"), not by their login ("fiona").
                column = copy.copy(column)
                column.accessor = _staff_name_at(accessor)
            elif isinstance(accessor, str) and self.is_members(accessor):
                column = copy.copy(column)
                column.accessor = self._member_value_at(accessor)
            elif (
                # Plain or title cells print the text as given; a DateColumn wants a datetime.
                isinstance(accessor, str)
                and not isinstance(column, DateColumn)
                and self._club_path_is_one()
                and _is_moment(self.model, accessor)
            ):
                column = copy.copy(column)
                column.accessor = self._on_club_clock(accessor)
            columns.append(column)
        return columns

    def _on_club_clock(self, field: str) -> Callable[[Model], str]:
        # A Harbour class at 18:30 Lisbon, not at the page's 19:30 (club.time_zones).
        club = self.club_path.replace(LOOKUP_SEP, ".")

        def at(row: Model) -> str:
            try:
                where = multigetattr(row, club)
            except AttributeError:
                # A row with no club on its path (a Stripe event about nobody): the page's clock.
                where = timezone.get_current_timezone()
            return on_club_clock(getattr(row, field), where)

        return at

    def _member_value_at(self, lookup: str) -> Callable[[Model], object]:
        def accessor(row: Model) -> object:
            if (shown := self.shown_for(row, lookup)) is not None:
                return shown
            try:
                return multigetattr(row, lookup)
            except AttributeError:
                return None

        return accessor


def row_zone(model: type[Model], club_path: str, row: Model) -> ZoneInfo | None:
    """The time zone of the club `row` belongs to; None for a row of several clubs."""
    if club_path == "pk":
        return clock.zone(row)
    if club_path == "" or _leads_to_many(model, club_path):
        return None
    club = club_at(row, club_path)  # the path form_on_club_clock walks for the form's times
    return clock.zone(club) if club is not None else None


class OnRowClubClockMixin:
    """A page about one row of one club (inspect, edit, delete): its title and its messages
    on that club's clock ("Yoga Thu 26 Nov, 18:00" for a Brooklyn class, whoever reads it), as
    the form's times are (`form_on_club_clock`), not on the page's."""

    @cached_property
    def zone(self) -> ZoneInfo | None:
        return row_zone(self.model, self.club_path, self.object)

    def on_row_clock(self):
        return timezone.override(self.zone) if self.zone else contextlib.nullcontext()

    def get_page_subtitle(self):
        with self.on_row_clock():
            return self.row_title(self.object)

    def get_success_message(self, *args):
        with self.on_row_clock():
            return super().get_success_message(*args)


class ScopedCreateView(generic.CreateView):
    """Looks up no rows; its ScopedForm offers only the staff member's clubs' records."""

    club_path = ""

    def get_success_message(self, instance):
        # "… created" names the new record on its club's clock, as its edit page will.
        zone = row_zone(self.model, self.club_path, instance)
        with timezone.override(zone) if zone else contextlib.nullcontext():
            return super().get_success_message(instance)


class ScopedEditView(OnRowClubClockMixin, ScopedViewMixin, generic.EditView):
    pass


class ScopedDeleteView(OnRowClubClockMixin, ScopedViewMixin, generic.DeleteView):
    pass


class ScopedInspectView(OnRowClubClockMixin, ScopedViewMixin, generic.InspectView):
    def get_object(self, queryset=None):
        rows = self.queryset
        if self._club_path_is_one():
            rows = rows.select_related(self.club_path)
        return get_object_or_404(rows, pk=unquote(str(self.pk)))

    def get(self, request, *args, **kwargs):
        # Every time on the page on the club's clock too, rendered here: the response would
        # render after the override ends.
        with self.on_row_clock():
            return super().get(request, *args, **kwargs).render()

    def get_field_display_value(self, field_name, field):
        if (shown := self.shown_for(self.object, field_name)) is not None:
            return shown
        if field is not None and _is_staff_path(self.model, field_name):
            user = getattr(self.object, field_name)
            return staff_name(user) if user else EMPTY
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            # Wagtail's template prints values with |localize, which skips the conversion
            # to the active zone that a plain {{ value }} would make.
            return timezone.localtime(value)
        # Not "None": an empty field, such as a visit's override by nobody.
        return EMPTY if value is None else value


class ScopedHistoryView(ScopedViewMixin, HistoryView):
    def get_base_object_queryset(self):
        return self.queryset


class ClubScopedViewSet(ModelViewSet):
    """A ModelViewSet whose every view sees only the staff member's clubs.

    Subclasses set `club_path` (the lookup from the model to its Club), `actions` (what
    the screen offers, from "view", "add", "change", "delete"), and `form_fields` when
    they offer "add" or "change".
    """

    club_path = ""
    # The lookup to the member a row names, when rows are of a club rather than of the
    # member's home club (visits at the club): another club's member may be among them.
    # `member_records`: the fields holding records of that member's (their membership).
    member_path = ""
    member_records: tuple[str, ...] = ()
    # How a word typed in the search box is read for a field, where the field is stored in
    # a form of its own (a card token without separators): {lookup: fn(word) -> term}.
    search_terms: dict = {}
    actions: tuple[str, ...] = ("view", "add", "change")
    list_select_related: tuple[str, ...] = ()
    add_form_class: type[forms.ModelForm] | None = None

    # Our models are not indexed by Wagtail search: use the ORM's icontains.
    search_backend_name = None
    # The reference index hooks post_save of every registered model, which would add
    # work to each visit and ledger row written at the front desk.
    add_to_reference_index = False
    copy_view_enabled = False

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not self.club_path:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a club_path.")
        register(self.model, self.club_path)

    @cached_property
    def permission_policy(self):
        return ScreenPermissionPolicy(self.model, actions=self.actions)

    def get_common_view_kwargs(self, **kwargs):
        # No usage view: it needs the reference index switched off above.
        return super().get_common_view_kwargs(
            usage_url_name=None,
            list_select_related=self.list_select_related,
            club_path=self.club_path,
            member_path=self.member_path,
            member_records=self.member_records,
            search_terms=self.search_terms,
            **kwargs,
        )

    def get_form_class(self, for_update=False):
        if self.add_form_class and not for_update:
            return self.add_form_class
        return modelform_factory(self.model, form=ScopedForm, fields=self.form_fields)

    @property
    def url_finder_class(self):
        # Wagtail links each logged row (Site history, a row's History) to its edit URL; a
        # screen that has none (integrations: "change" is revoking) links nowhere, rather than
        # fail to reverse a URL name it never registered.
        if not any(getattr(url, "name", None) == "edit" for url in self.get_urlpatterns()):
            return NullAdminURLFinder
        return super().url_finder_class

    def get_urlpatterns(self):
        # Only the URLs of what the screen offers: a view-only screen has no add or edit URL.
        pk = f"<{self.pk_path_converter}:pk>"
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            urlpatterns.append(path(f"inspect/{pk}/", self.inspect_view, name="inspect"))
        if "add" in self.actions:
            urlpatterns.append(path("new/", self.add_view, name="add"))
        if "change" in self.actions:
            urlpatterns += [
                path(f"edit/{pk}/", self.edit_view, name="edit"),
                path(f"history/{pk}/", self.history_view, name="history"),
                path(f"history-results/{pk}/", self.history_results_view, name="history_results"),
            ]
        if "delete" in self.actions:
            urlpatterns.append(path(f"delete/{pk}/", self.delete_view, name="delete"))
        return urlpatterns


class ScopedChooser(BaseChooser):
    """A chooser widget that shows only a record its form field would accept.

    Wagtail's widget looks the posted id up among all rows, so a form refused for another
    club's record would show that record's name; this one looks it up among the field's
    choices, which ScopedForm has scoped (Django hands them to the widget as `choices`).
    """

    def get_instance(self, value):
        if value is None or isinstance(value, self.model_class):
            return value
        choices = getattr(getattr(self, "choices", None), "queryset", None)
        if choices is None:
            return None
        try:
            return choices.filter(pk=value).first()
        except (ValueError, TypeError, ValidationError):
            return None  # not an id at all: the field reports it


class ScopedChooserViewMixin:
    """The chooser modal's views: for staff who may view the model, rows of their clubs only."""

    def dispatch(self, request, *args, **kwargs):
        if not ModelPermissionPolicy(self.model_class).user_has_permission(request.user, "view"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object_list(self):
        return scope(self.model_class._default_manager.all(), self.request.user)


class ScopedChooseView(ScopedChooserViewMixin, chooser.ChooseView):
    pass


class ScopedChooseResultsView(ScopedChooserViewMixin, chooser.ChooseResultsView):
    pass


class ScopedChosenView(ScopedChooserViewMixin, chooser.ChosenView):
    def get_object(self, pk):
        try:
            return self.get_object_list().get(pk=pk)
        except (ValueError, ValidationError):
            raise Http404 from None


class ScopedChosenMultipleView(ScopedChooserViewMixin, chooser.ChosenMultipleView):
    def get_objects(self, pks):
        try:
            return list(self.get_object_list().filter(pk__in=pks))
        except (ValueError, ValidationError):
            raise Http404 from None


class ClubScopedChooserViewSet(ChooserViewSet):
    """A chooser modal (Wagtail's search-and-pick dialog) offering only the staff member's
    clubs' rows, for foreign keys with too many rows for a dropdown. Subclasses set
    `club_path` like a ClubScopedViewSet. It has no "create" tab."""

    club_path = ""
    base_widget_class = ScopedChooser
    choose_view_class = ScopedChooseView
    choose_results_view_class = ScopedChooseResultsView
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView

    def __init__(self, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not self.club_path:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a club_path.")
        register(self.model, self.club_path)
