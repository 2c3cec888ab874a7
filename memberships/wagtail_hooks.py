"""Back-office screens for plans, memberships, freezes, the visit ledger, payments and the
online payment events Stripe sent.

Selling a membership and freezing one go through memberships.sales and
memberships.freezes, which write the payment, ledger and timeline rows with them;
the ledger and payments themselves are history and can only be read here.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.ui.tables import BooleanColumn, Column, StatusTagColumn, TitleColumn
from wagtail.admin.viewsets.model import ModelViewSetGroup

from club import clock
from club.admin_access import (
    EMPTY,
    ClubScopedViewSet,
    ScopedCreateView,
    ScopedFilterSet,
    ScopedForm,
    ScopedIndexView,
    ScopedInspectView,
    clubs_for,
    date_range_filter,
)
from club.display import export_datetime, format_price
from club.models import Club
from members.choosers import member_chooser
from members.wagtail_hooks import ExportIndexView, OpensMemberCard, member_page
from memberships import freezes, sales
from memberships.choosers import membership_chooser, offered
from memberships.models import (
    RENEWAL_DUE_DAYS,
    STATES_TODAY,
    Freeze,
    LedgerEntry,
    Membership,
    Payment,
    Plan,
    StripeEvent,
    label_plan_choices,
)


class PlanViewSet(ClubScopedViewSet):
    model = Plan
    name = "plans"
    club_path = "club"
    icon = "tag"
    menu_label = "Plans"
    list_display = [
        "name",
        "club",
        "kind",
        # "€59.00", as the desk and the site say it: the bare 59.00 named no currency.
        Column("price", label="Price", sort_key="price", accessor=Plan.price_text),
        "duration_days",
        "visits_included",
        BooleanColumn("is_active", label="Active", sort_key="is_active"),
    ]
    list_select_related = ("club",)
    list_filter = ["club", "kind", "valid_at_all_clubs", "is_active"]
    search_fields = ["name"]
    ordering = ["club__name", "price"]
    list_per_page = 50
    form_fields = [
        "club",
        "name",
        "kind",
        "price",
        "duration_days",
        "visits_included",
        "auto_renew",
        "allows_classes",
        "valid_at_all_clubs",
        "stripe_price_id",
        "is_active",
    ]


class SellForm(ScopedForm):
    method = forms.ChoiceField(
        label="Paid by",
        choices=[
            (Payment.Method.CASH, Payment.Method.CASH.label),
            (Payment.Method.CARD_TERMINAL, Payment.Method.CARD_TERMINAL.label),
        ],
    )

    class Meta:
        model = Membership
        fields = ["member", "plan", "start"]
        # A search dialog, not a dropdown of every member of the club.
        widgets = {"member": member_chooser.widget_class}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        plans = self.fields["plan"]
        plans.queryset = plans.queryset.filter(is_active=True).order_by("club__name", "price")
        # A manager of two clubs would otherwise see each club's "Monthly" alike.
        label_plan_choices(plans, with_club=clubs_for(self.for_user).count() > 1)
        # The first paid plan, as at the desk: a trial is for newcomers (sales.sell says so).
        plans.initial = (
            plans.queryset.exclude(kind=Plan.Kind.TRIAL).values_list("pk", flat=True).first()
        )
        # A sale, like the desk's: it starts today or later (sales.sell refuses the past).
        # Dates of a membership sold earlier are corrected on its edit screen.
        self.fields["start"].initial = clock.today()


class DomainErrorsMixin:
    """Errors the domain function finds under its row locks (an overlap, say) shown on the
    form's fields, as the form's own errors are, rather than a 500."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class SellView(DomainErrorsMixin, ScopedCreateView):
    submit_button_label = "Sell"
    submit_button_active_label = "Selling…"

    def save_instance(self):
        data = self.form.cleaned_data
        return sales.sell(
            data["member"],
            data["plan"],
            start=data["start"],
            method=data["method"],
            sold_by=self.request.user,
        )


class MembershipIndexView(OpensMemberCard, ExportIndexView):
    # The member's name opens their card, where the desk renews.
    @staticmethod
    def member_of(row: Membership):
        return row.member

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        # As the list reads it: a month that ran out is "Ended", not its stored "Active".
        row["status"] = item.state_today()
        return row


class MembershipFilterSet(ScopedFilterSet):
    club = django_filters.ModelChoiceFilter(
        field_name="member__home_club", label="Club", queryset=Club.objects.all()
    )
    # As the list and its download read it: a month that ran out is "Ended", not "Active".
    status = django_filters.ChoiceFilter(
        label="Status", choices=STATES_TODAY, method="in_state_today"
    )
    end = date_range_filter("Ends")
    # The desk's home panel links here for the memberships it counts (one query for both).
    renewal = django_filters.ChoiceFilter(
        label="Renewal",
        choices=[("due", f"Ending within {RENEWAL_DUE_DAYS} days, not renewed")],
        method="renewal_due",
    )

    def renewal_due(self, queryset, name, value):
        return queryset.renewal_due(clubs_for(self.request.user))

    def in_state_today(self, queryset, name, value):
        return queryset.in_state_today(value, clubs_for(self.request.user))

    class Meta:
        model = Membership
        fields = ["plan__kind", "plan"]


class MembershipViewSet(ClubScopedViewSet):
    model = Membership
    name = "memberships"
    club_path = "member__home_club"
    icon = "clipboard-list"
    menu_label = "Memberships"
    add_view_class = SellView
    add_form_class = SellForm
    index_view_class = MembershipIndexView
    list_display = [
        "member",
        "plan",
        "start",
        "end",
        # As the member card reads it: a month that ran out is "Ended", not its stored "Active".
        StatusTagColumn(
            "status",
            accessor=Membership.state_today,
            sort_key="status",
            primary=lambda membership: membership.state_today() == Membership.Status.ACTIVE.label,
        ),
        "visits_left",
    ]
    list_select_related = ("member__home_club", "plan")
    list_export = [
        "member",
        "member.home_club.name",
        "plan",
        "start",
        "end",
        "status",
        "visits_left",
        "price_paid",
    ]
    export_headings = {
        "member": "Member",
        "member.home_club.name": "Club",
        "plan": "Plan",
        "visits_left": "Visits left",
        "start": "Start",
        "end": "End",
        "status": "Status",
        "price_paid": "Price",
    }
    export_filename = "memberships"
    filterset_class = MembershipFilterSet
    search_fields = ["member__first_name", "member__last_name", "member__email", "plan__name"]
    ordering = ["-start", "-id"]
    list_per_page = 50
    # Plan, price and balance belong to the sale and the ledger; staff correct dates and status.
    form_fields = ["start", "end", "status"]


class FreezeForm(ScopedForm):
    class Meta:
        model = Freeze
        fields = ["membership", "start", "end", "reason"]
        # A search dialog, not a dropdown of every membership the club ever sold.
        widgets = {"membership": membership_chooser.widget_class}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The same rows the chooser offers (memberships.choosers).
        memberships = self.fields["membership"]
        memberships.queryset = offered(memberships.queryset, clubs=clubs_for(self.for_user))

    def clean_membership(self):
        membership = self.cleaned_data["membership"]
        if membership.has_ended(clock.today(membership.member.home_club)):
            raise ValidationError(
                f"This membership ended on {date_format(membership.end)}: there is nothing "
                "left to freeze."
            )
        return membership


# A freeze may change what apps above memberships own (checkin cancels the member's classes
# inside it), and memberships may not import them: the first hook registered freezes,
# fn(membership, *, start, end, reason, by) -> (freeze, a sentence for the confirmation).
# With none, freezes.freeze() alone.
FREEZE_HOOK = "freeze_membership"


class FreezeView(DomainErrorsMixin, ScopedCreateView):
    note = ""

    def save_instance(self):
        data = self.form.cleaned_data
        dates = {"start": data["start"], "end": data["end"], "reason": data["reason"]}
        for freeze_with in hooks.get_hooks(FREEZE_HOOK):
            frozen, self.note = freeze_with(data["membership"], by=self.request.user, **dates)
            return frozen
        return freezes.freeze(data["membership"], created_by=self.request.user, **dates)

    def get_success_message(self, instance):
        message = super().get_success_message(instance)
        return f"{message} {self.note}" if self.note else message

    def get_success_buttons(self):
        return []  # a freeze has no edit screen


class FreezeFilterSet(ScopedFilterSet):
    start = date_range_filter("Starts")

    class Meta:
        model = Freeze
        fields = []


class FreezeViewSet(ClubScopedViewSet):
    model = Freeze
    name = "freezes"
    club_path = "membership__member__home_club"
    # Changing a freeze must move the membership's end too; only freezes.freeze() does that.
    actions = ("view", "add")
    inspect_view_enabled = True
    icon = "time"
    menu_label = "Freezes"
    add_view_class = FreezeView
    add_form_class = FreezeForm
    list_display = ["membership", "start", "end", "reason", "created_by"]
    list_select_related = ("membership__member", "membership__plan", "created_by")
    filterset_class = FreezeFilterSet
    search_fields = ["membership__member__first_name", "membership__member__last_name"]
    ordering = ["-start"]
    list_per_page = 50


class LedgerEntryFilterSet(ScopedFilterSet):
    at = date_range_filter("Date")

    class Meta:
        model = LedgerEntry
        fields = ["kind"]


class LedgerEntryViewSet(ClubScopedViewSet):
    model = LedgerEntry
    name = "ledger"
    club_path = "membership__member__home_club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "list-ol"
    menu_label = "Ledger entries"
    list_display = ["membership", "kind", "visits", "balance_after", "reason", "created_by", "at"]
    list_select_related = ("membership__member", "membership__plan", "created_by")
    filterset_class = LedgerEntryFilterSet
    search_fields = ["membership__member__first_name", "membership__member__last_name", "reason"]
    ordering = ["-at", "-id"]
    list_per_page = 50


class PaymentFilterSet(ScopedFilterSet):
    club = django_filters.ModelChoiceFilter(
        field_name="member__home_club", label="Club", queryset=Club.objects.all()
    )
    at = date_range_filter("Date")

    class Meta:
        model = Payment
        fields = ["status", "method"]


class PaymentIndexView(ExportIndexView):
    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        # On the member's club clock, as the members export prints its dates.
        row["at"] = export_datetime(item.at, item.member.home_club)
        return row


class PaymentViewSet(ClubScopedViewSet):
    model = Payment
    name = "payments"
    club_path = "member__home_club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "form"
    menu_label = "Payments"
    index_view_class = PaymentIndexView
    list_display = ["member", "amount", "currency", "method", "status", "at"]
    list_select_related = ("member__home_club",)
    list_export = [
        "at",
        "member",
        "member.home_club.name",
        "amount",
        "currency",
        "get_method_display",
        "get_status_display",
    ]
    export_headings = {
        "at": "Date",
        "member": "Member",
        "member.home_club.name": "Club",
        "amount": "Amount",
        "currency": "Currency",
        "get_method_display": "Method",
        "get_status_display": "Status",
    }
    export_filename = "payments"
    filterset_class = PaymentFilterSet
    search_fields = ["member__first_name", "member__last_name", "stripe_payment_intent_id"]
    ordering = ["-at", "-id"]
    list_per_page = 50


def paid_for(event: StripeEvent) -> str:
    """What an event's processing resulted in: the payment and the membership it renewed."""
    payment = event.payment
    if payment is None:
        return EMPTY
    paid = f"{format_price(payment.amount, payment.currency)} paid"
    membership = payment.membership
    if membership is None:
        return f"{paid}, no membership"
    dates = f"{date_format(membership.start)} → {date_format(membership.end)}"
    return f"{paid} · {membership.plan} {dates}"


class StripeEventFilterSet(ScopedFilterSet):
    state = django_filters.ChoiceFilter(
        label="Outcome", choices=StripeEvent.State.choices, method="in_state"
    )
    received_at = date_range_filter("Received")

    def in_state(self, queryset, name, value):
        return queryset.in_state(value)

    class Meta:
        model = StripeEvent
        fields = []


class StripeEventIndexView(ScopedIndexView):
    @cached_property
    def columns(self):
        # The member's name opens their card, for those who may read it (the members list's
        # rule); an erased member is "Erased member #id" and their card says so.
        page_of = member_page(self.request)
        payments = self.request.user.has_perm("memberships.view_payment")
        linked = {
            "member": TitleColumn(
                "member",
                label="Member",
                accessor=lambda event: event.member or EMPTY,
                get_url=lambda event: page_of(event.member) if page_of and event.member else None,
            ),
            "result": TitleColumn(
                "result",
                label="Result",
                accessor=paid_for,
                get_url=lambda event: (
                    reverse("payments:inspect", args=[event.payment_id])
                    if payments and event.payment_id
                    else None
                ),
            ),
        }
        return [linked.get(column.name, column) for column in super().columns]


class StripeEventInspectView(ScopedInspectView):
    """The event in words, then what the payload says that staff may read (ids, statuses,
    decline codes: StripeEvent.stripe_details), never the payload itself."""

    LABELS = {
        "received_at": "Received",
        "event": "Event",
        "member": "Member",
        "amount": "Amount",
        "outcome": "Outcome",
        "attempts": "Attempts",
        "processed_at": "Processed",
        "payment": "Payment",
        "membership": "Membership",
        "stripe_id": "Stripe event ID",
    }

    @cached_property
    def zone(self):
        # Times on the member's club clock; an event about nobody of ours (superusers only)
        # in the active zone.
        member = self.object.member
        return clock.zone(member.home_club) if member else None

    def get_field_label(self, field_name, field):
        return self.LABELS[field_name]

    def get_event_display_value(self):
        return self.object.type_in_words()

    def get_member_display_value(self):
        member = self.object.member
        if member is None:
            return "Not one of our members"
        page_of = member_page(self.request)
        return format_html('<a href="{}">{}</a>', page_of(member), member) if page_of else member

    def get_amount_display_value(self):
        return self.object.amount_text()

    def get_outcome_display_value(self):
        return self.object.outcome_text()

    def get_payment_display_value(self):
        event = self.object
        if event.payment_id is None:
            return EMPTY
        url = reverse("payments:inspect", args=[event.payment_id])
        return format_html('<a href="{}">{}</a>', url, paid_for(event))

    def get_membership_display_value(self):
        membership = self.object.payment.membership if self.object.payment_id else None
        return membership or EMPTY

    def get_fields_context(self):
        return super().get_fields_context() + [
            {"label": label, "value": value, "component": None}
            for label, value in self.object.stripe_details()
        ]


class StripeEventViewSet(ClubScopedViewSet):
    """What Stripe told us about online payments, and what came of it: for managers, to see
    a renewal paid online, and above all one that went wrong."""

    model = StripeEvent
    name = "stripe_events"
    url_prefix = "online-payment-events"
    # The member the event names (StripeEvent.member); an event about none of our members
    # has no club, and only superusers see it.
    club_path = "member__home_club"
    actions = ("view",)
    inspect_view_enabled = True
    index_view_class = StripeEventIndexView
    inspect_view_class = StripeEventInspectView
    inspect_view_fields = [
        "received_at",
        "event",
        "member",
        "amount",
        "outcome",
        "attempts",
        "processed_at",
        "payment",
        "membership",
        "stripe_id",
    ]
    icon = "warning"
    menu_label = "Online payment events"
    list_display = [
        "received_at",
        Column("event", label="Event", accessor=StripeEvent.type_in_words),
        "member",
        Column("amount", label="Amount", accessor=StripeEvent.amount_text),
        Column("outcome", label="Outcome", accessor=lambda row: row.outcome_text(error_chars=120)),
        Column("result", label="Result", accessor=paid_for),
    ]
    list_select_related = ("member__home_club", "payment__membership__plan")
    filterset_class = StripeEventFilterSet
    search_fields = ["stripe_id", "member__first_name", "member__last_name"]
    ordering = ["-received_at", "-id"]
    list_per_page = 50


class MembershipsGroup(ModelViewSetGroup):
    menu_label = "Memberships"
    menu_icon = "clipboard-list"
    menu_order = 300
    items = (
        PlanViewSet,
        MembershipViewSet,
        FreezeViewSet,
        LedgerEntryViewSet,
        PaymentViewSet,
        StripeEventViewSet,
    )


@hooks.register("register_admin_viewset")
def register_memberships_viewsets():
    return [MembershipsGroup(), membership_chooser]
