from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussion sessions"

    def ready(self):
        from cohorts import pages
        from curriculum import course as curriculum
        from notifications import dispatch, outbox

        from . import curriculum as session_curriculum
        from . import digest, survey, views

        pages.week_sections.register(views.week_section, order=20)
        # Above the pre-work: the last session's feedback, while it is still to give.
        pages.week_sections.register(views.feedback_prompt, order=5)
        pages.cohort_notices.register(views.cohort_feedback_prompt)

        def facilitates(access):
            return access.can_facilitate

        pages.nav_links.register(
            pages.Link("Feedback", "discussions:feedback_results", facilitates), order=30
        )
        guide = pages.Link("Guide", "discussions:guide", facilitates)
        pages.nav_links.register(guide, order=40)
        pages.cohort_links.register(
            pages.Link("Facilitator guide", "discussions:guide", facilitates), order=20
        )
        dispatch.jobs.register(digest.job, order=20)
        dispatch.jobs.register(survey.job, order=30)
        outbox.preparers.register(survey.KIND_NUDGE, survey.prepare)
        # After assignments: promoted pinned resources go after the week's own pre-work.
        curriculum.parts.register(session_curriculum.part, order=20)
        curriculum.parts.register(session_curriculum.previous_run, order=90)
