from django.apps import AppConfig


class AssignmentsConfig(AppConfig):
    name = "assignments"
    verbose_name = "Pre-work and assignments"

    def ready(self):
        from cohorts import calendar, curriculum, dispatch, pages
        from cohorts.signals import session_moved

        from . import calendar as due_dates
        from . import curriculum as prework_curriculum
        from . import models, reminders, views

        pages.week_sections.register(views.week_section, order=10)
        pages.schedule_badges.register(views.schedule_badges)
        dispatch.jobs.register(reminders.job, order=10)
        curriculum.parts.register(prework_curriculum.part, order=10)
        calendar.events.register(due_dates.events, order=10)
        session_moved.connect(models.follow_moved_session, dispatch_uid="assignments-due-follows")
