"""The Registry: how apps that depend on `cohorts` plug into it.

`cohorts` never imports another app. Apps that build on it register what they add (week
sections, nav links, dispatch jobs, curriculum parts, calendar events) from their
AppConfig.ready(), and the code in `cohorts` calls whatever is registered, in order.
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
