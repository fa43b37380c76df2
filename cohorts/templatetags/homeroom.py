from django import template

from cohorts.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text or "")


@register.filter
def local(moment, cohort):
    """The cohort's wall-clock time for a stored (UTC) datetime, for `|date` to format.

    Returned naive on purpose: Django's `date` filter converts aware datetimes to the
    active time zone, which outside a cohort page (emails, other cohorts) is not the
    cohort's.
    """
    if moment is None:
        return None
    return cohort.local(moment).replace(tzinfo=None)
