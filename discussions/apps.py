from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussion sessions"

    def ready(self):
        from cohorts import curriculum, dispatch, pages

        from . import curriculum as session_curriculum
        from . import digest, views

        pages.week_sections.register(views.week_section, order=20)
        dispatch.jobs.register(digest.job, order=20)
        # After assignments: promoted pinned resources go after the week's own pre-work.
        curriculum.parts.register(session_curriculum.part, order=20)
