"""{% prework_progress %}: the week page's progress bar, in the same HTML as the answer to
"Mark watched" (assignments.checklist; the rows come from its items_html)."""

from django import template

from assignments import checklist

register = template.Library()


@register.simple_tag(takes_context=True)
def prework_progress(context):
    return checklist.progress_html(
        context["required_done"], context["required_total"], context["percent"]
    )
