from django import template

from voronka.analytics.tables import display as display_value

register = template.Library()


@register.filter
def shown(value, kind: str) -> str:
    """Format a report value for people: {{ value|shown:"percent" }}."""
    return display_value(value, kind)


@register.filter
def cells(row, columns):
    """Pair each value of a row with its column."""
    return zip(row, columns, strict=True)
