"""Sections other apps add to the cohort's pages.

The week page and the cohort schedule belong to `cohorts`, but what they show
(pre-work, discussion prep, feedback …) lives in apps that depend on
`cohorts`, never the other way round. Those apps register here from their
AppConfig.ready(); the cohort views call whatever is registered, in order.
"""

from dataclasses import dataclass, field


@dataclass
class Registry:
    """Callables in a stable order; registering the same one twice is a no-op."""

    entries: list = field(default_factory=list)

    def register(self, provider, order=100):
        if all(existing is not provider for _, existing in self.entries):
            self.entries.append((order, provider))
            self.entries.sort(key=lambda entry: entry[0])

    def __iter__(self):
        return (provider for _, provider in self.entries)


# provider(request, access, week) -> HTML (str) or None
week_sections = Registry()

# provider(request, access, weeks) -> {week.pk: HTML} shown beside each week in the schedule
schedule_badges = Registry()
