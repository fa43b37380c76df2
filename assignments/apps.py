from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Pre-work and assignments"

    def ready(self):
        from cohorts import calendar, pages
        from cohorts.signals import session_moved
        from curriculum import course as curriculum
        from notifications import announcements, dispatch

        from . import calendar as due_dates
        from . import checklist, models, news, reminders, views
        from . import curriculum as prework_curriculum

        checklist.connect_signals()
        pages.week_sections.register(views.week_section, order=10)
        pages.schedule_badges.register(views.schedule_badges)
        pages.week_table_details.register(views.week_table_details)
        pages.home_lines.register(views.home_lines)
        who_is_ready = pages.Link(
            "Who is ready",
            "assignments:progress",
            lambda access: access.can_facilitate,
            current=("assignments:progress_week",),
        )
        pages.nav_links.register(who_is_ready, order=20)
        pages.cohort_links.register(who_is_ready, order=10)
        pages.week_links.register(
            pages.Link(
                "Edit pre-work and publishing",
                "assignments:prework_editor",
                lambda access: access.can_manage,
            ),
            order=10,
        )
        dispatch.jobs.register(reminders.job, order=10)
        announcements.work_left.register(reminders.left_summaries)
        dispatch.jobs.register(news.opened_job, order=15)
        dispatch.jobs.register(news.feedback_job, order=16)
        curriculum.parts.register(prework_curriculum.part, order=10)
        calendar.events.register(due_dates.events, order=10)
        session_moved.connect(models.follow_moved_session, dispatch_uid="assignments-due-follows")
