"""Back-office screens for plans, memberships, freezes, the visit ledger and payments.

Selling a membership and freezing one go through memberships.sales and
memberships.freezes, which write the payment, ledger and timeline rows with them;
the ledger and payments themselves are history and can only be read here.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from wagtail import hooks
from wagtail.admin.ui.tables import BooleanColumn, StatusTagColumn
from wagtail.admin.viewsets.model import ModelViewSetGroup

from club import clock
from club.admin_access import (
    ClubScopedViewSet,
    ScopedCreateView,
    ScopedFilterSet,
    ScopedForm,
    clubs_for,
    date_range_filter,
)
from club.models import Club
from members.choosers import member_chooser
from memberships import freezes, sales
from memberships.choosers import membership_chooser, offered
from memberships.models import (
    RENEWAL_DUE_DAYS,
    Freeze,
    LedgerEntry,
    Membership,
    Payment,
    Plan,
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
        "price",
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


class MembershipFilterSet(ScopedFilterSet):
    club = django_filters.ModelChoiceFilter(
        field_name="member__home_club", label="Club", queryset=Club.objects.all()
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

    class Meta:
        model = Membership
        fields = ["status", "plan__kind", "plan"]


class MembershipViewSet(ClubScopedViewSet):
    model = Membership
    name = "memberships"
    club_path = "member__home_club"
    icon = "clipboard-list"
    menu_label = "Memberships"
    add_view_class = SellView
    add_form_class = SellForm
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


class PaymentViewSet(ClubScopedViewSet):
    model = Payment
    name = "payments"
    club_path = "member__home_club"
    actions = ("view",)
    inspect_view_enabled = True
    icon = "form"
    menu_label = "Payments"
    list_display = ["member", "amount", "currency", "method", "status", "at"]
    list_select_related = ("member",)
    filterset_class = PaymentFilterSet
    search_fields = ["member__first_name", "member__last_name", "stripe_payment_intent_id"]
    ordering = ["-at", "-id"]
    list_per_page = 50


class MembershipsGroup(ModelViewSetGroup):
    menu_label = "Memberships"
    menu_icon = "clipboard-list"
    menu_order = 300
    items = (PlanViewSet, MembershipViewSet, FreezeViewSet, LedgerEntryViewSet, PaymentViewSet)


@hooks.register("register_admin_viewset")
def register_memberships_viewsets():
    return [MembershipsGroup(), membership_chooser]
