"""Markdown in templates: ``{{ body|markdown }}`` (``{{ body|markdown:2 }}`` moves its
headings down two levels), and ``{% render_markdown text … %}`` with every option of
:func:`vaka.web.markdown.render`."""

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from vaka.web.markdown import ANCHOR_PREFIX, render

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: Any, heading_offset: int = 0) -> SafeString:
    """``text`` (Markdown; None is empty) as sanitised HTML, headings with their ids."""
    return render_markdown(text, heading_offset=heading_offset)


@register.simple_tag
def render_markdown(text: Any, heading_offset: int = 0, anchors: bool = True,
                    anchor_prefix: str = ANCHOR_PREFIX) -> SafeString:
    """``text`` as sanitised HTML; ``{% render_markdown text anchors=False as html %}``
    keeps it in ``html``."""
    html = render("" if text is None else str(text), heading_offset=int(heading_offset),
                  anchors=anchors, anchor_prefix=anchor_prefix)
    return mark_safe(html)  # noqa: S308 - markdown.render sanitises with nh3
