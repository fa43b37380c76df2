"""{% checklist_item item %} and {% prework_progress %}: the week page's checklist, in the
same HTML as the answer to "Mark watched" (assignments.checklist)."""

from django import template

from assignments import checklist

register = template.Library()


@register.simple_tag(takes_context=True)
def checklist_item(context, item):
    return checklist.item_html(
        item,
        context["cohort"].slug,
        str(context.get("csrf_token", "")),
        readiness=bool(context.get("readiness")),
    )


@register.simple_tag(takes_context=True)
def prework_progress(context):
    return checklist.progress_html(
        context["required_done"], context["required_total"], context["percent"]
    )
