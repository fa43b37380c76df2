from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Discussion sessions"

    def ready(self):
        from cohorts import pages
        from curriculum import course as curriculum
        from notifications import dispatch, outbox

        from . import board, digest, survey, views
        from . import curriculum as session_curriculum

        board.connect_signals()
        pages.week_sections.register(views.week_section, order=20)
        # First of all during the session: my table, my partner, whose turn it is.
        pages.week_sections.register(views.my_session_section, order=1)
        pages.week_sections.register(views.run_session_lead, order=2)
        pages.home_lines.register(views.run_session_home_lines)
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
        pages.cohort_links.register(
            pages.Link("Rooms", "discussions:rooms", lambda access: access.can_manage), order=30
        )
        dispatch.jobs.register(digest.job, order=20)
        dispatch.jobs.register(survey.job, order=30)
        outbox.preparers.register(survey.KIND_NUDGE, survey.prepare)
        # After assignments: promoted pinned resources go after the week's own pre-work.
        curriculum.parts.register(session_curriculum.part, order=20)
        curriculum.run_created.connect(
            session_curriculum.record_previous_run, dispatch_uid="discussions-previous-run"
        )
