"""{{ amount|price:club.currency }}: money as the club words it (club.display.format_price)."""

from decimal import Decimal

from django import template

from club.display import format_price

register = template.Library()


@register.filter
def price(amount: Decimal, currency: str) -> str:
    return format_price(amount, currency)
