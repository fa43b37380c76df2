from django.apps import AppConfig


class CohortsConfig(AppConfig):
    name = "cohorts"
    verbose_name = "Cohorts"

    def ready(self):
        from . import pages

        def member(access):
            return access.is_member

        def organizer(access):
            return access.can_manage

        def has_membership(access):
            return access.membership is not None

        for order, link in (
            (0, pages.Link("Schedule", "cohorts:detail", member)),
            (
                50,
                pages.Link("{units}", "cohorts:manage_weeks", organizer, ("cohorts:manage_week",)),
            ),
            (60, pages.Link("Members", "cohorts:manage_members", organizer)),
            (70, pages.Link("Invitations", "cohorts:manage_invitations", organizer)),
            (80, pages.Link("Settings", "cohorts:manage_settings", organizer)),
            (100, pages.Link("Preferences", "cohorts:preferences", has_membership)),
        ):
            pages.nav_links.register(link, order)
