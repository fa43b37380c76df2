from django import template

from cohorts.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    return render_markdown(text or "")


@register.filter
def local(moment, cohort):
    """A UTC datetime shown in the cohort's time zone."""
    if moment is None:
        return None
    return cohort.local(moment)
