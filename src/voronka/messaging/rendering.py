"""Filling templates for an item, sanitising HTML, the plain-text part, and tracked links.

Templates are written by users, so they run in a sandbox: a separate Django template engine
with no loaders and no tag libraries ({% include %}, {% load %} and {% extends %} find
nothing), rendering a context of plain dicts of strings (no model instance, so no method of
ours is reachable). The HTML body is autoescaped, then sanitised with nh3.
"""

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import nh3
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid

_ENGINE = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, string_if_invalid="", debug=False)

TAGS = set(nh3.ALLOWED_TAGS) - {"map", "area", "details", "summary"}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "p": {"align"},
    "*": {"title"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_TRACKABLE = re.compile(r"^https?://", re.IGNORECASE)


def context_for(item, *, sender) -> dict[str, Any]:
    """Return the placeholders of a message about `item`, as plain dicts of strings."""
    context: dict[str, Any] = {item.kind.value: _item(item)}
    for related in ("contact", "company", "lead"):
        linked = getattr(item, related, None) if related != item.kind.value else None
        if linked is not None and hasattr(linked, "kind"):
            context.setdefault(related, _item(linked))
    responsible = getattr(item, "assigned_to", None) or sender
    context["manager"] = _user(responsible)
    context["sender"] = _user(sender)
    context["signature"] = (sender.signature if sender else "") or ""
    return context


def _item(item) -> dict[str, str]:
    values = {"id": str(item.pk), "title": str(getattr(item, "title", "") or item)}
    values["name"] = str(getattr(item, "full_name", "") or values["title"])
    for name in ("first_name", "last_name", "second_name", "company_title", "address", "position"):
        if hasattr(item, name):
            values[name] = str(getattr(item, name) or "")
    if getattr(item, "amount", None) is not None and hasattr(item, "currency"):
        values["amount"] = f"{number_format(item.amount, decimal_pos=2, force_grouping=True)} {item.currency}"
    stage = getattr(item, "stage", None) or getattr(item, "status", None)
    if stage is not None:
        values["stage"] = str(stage)
    return values


def _user(user) -> dict[str, str]:
    if user is None:
        return {}
    return {
        "name": user.display_name,
        "email": user.email or "",
        "phone": getattr(user, "phone", "") or "",
        "position": getattr(user, "position", "") or "",
        "signature": getattr(user, "signature", "") or "",
    }


def render_text(source: str, context: dict[str, Any], *, field: str) -> str:
    """Fill a plain-text template (a subject, an SMS): no HTML escaping."""
    return _render(source, context, field=field, autoescape=False)


def render_html(source: str, context: dict[str, Any], *, field: str = "body") -> str:
    """Fill an HTML template: placeholder values are escaped, the result sanitised."""
    context = {**context, "signature": _signature_html(context.get("signature", ""))}
    return sanitize(_render(source, context, field=field, autoescape=True))


def _signature_html(text: str) -> str:
    from django.utils.safestring import mark_safe

    # The signature is the sender's own plain text: escape it and keep its line breaks.
    return mark_safe("<br>".join(html.escape(line) for line in str(text).splitlines()))  # noqa: S308


def _render(source: str, context: dict[str, Any], *, field: str, autoescape: bool) -> str:
    try:
        template = _ENGINE.from_string(source or "")
        return template.render(Context(context, autoescape=autoescape))
    except (TemplateSyntaxError, TemplateDoesNotExist, ValueError, TypeError, KeyError) as error:
        raise Invalid(
            "template.syntax",
            _("The template has an error: %(error)s") % {"error": str(error)[:300]},
            details={field: str(error)[:300]},
        ) from error


def sanitize(markup: str, *, link_filter: Callable[[str], str] | None = None) -> str:
    """Return `markup` with only safe tags, attributes and link schemes left."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if link_filter is not None and tag == "a" and attribute == "href":
            return link_filter(value)
        return value

    return nh3.clean(
        markup or "",
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=attribute_filter,
    )


def track_links(markup: str, redirect_url: Callable[[int], str]) -> tuple[str, list[str]]:
    """Point every http(s) link at a tracked redirect; return the HTML and the original links."""
    links: list[str] = []

    def rewrite(href: str) -> str:
        if not _TRACKABLE.match(href or ""):
            return href
        links.append(href)
        return redirect_url(len(links) - 1)

    return sanitize(markup, link_filter=rewrite), links


class _TextParser(HTMLParser):
    BLOCKS = frozenset(
        {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.href:
            href = self.href.pop()
            if href and not href.startswith("mailto:"):
                self.parts.append(f" ({href})")

    def handle_data(self, data):
        self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Return the plain-text part of an HTML body (paragraphs, line breaks, links in brackets)."""
    parser = _TextParser()
    parser.feed(markup or "")
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text: str) -> str:
    """Return plain text typed by a user as simple HTML paragraphs."""
    paragraphs = re.split(r"\n\s*\n", (text or "").strip())
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in paragraph.splitlines()) + "</p>"
        for paragraph in paragraphs
        if paragraph.strip()
    )
