from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussion sessions"

    def ready(self):
        from cohorts import dispatch, pages

        from . import digest, views

        pages.week_sections.register(views.week_section, order=20)
        dispatch.jobs.register(digest.job, order=20)
