"""Rows a person puts in order within a week: pre-work items, discussion points, pair prompts.

A new row goes to the end of its week (`order` = the week's highest + 1). Moving a row up or
down swaps it with its neighbour in the order the week's page shows (order, then age), and
numbers the week's rows 1, 2, 3… again, so rows that shared a number (old data, bulk
imports) still move one place at a time.
"""

from django.db import models, transaction
from django.db.models import Max

from .markdown import MarkdownQuerySet


# Ordered rows hold Markdown too: bulk writes keep their stored HTML current (MarkdownQuerySet
# does nothing for a model without Markdown fields).
class OrderedQuerySet(MarkdownQuerySet):
    def next_order(self, week):
        """The position after the last row of `week` (1 for an empty week)."""
        return (self.filter(week=week).aggregate(top=Max("order"))["top"] or 0) + 1

    def in_order(self, week):
        return self.filter(week=week).order_by("order", "pk")


class OrderedInWeek(models.Model):
    """Abstract base: subclasses have a `week` foreign key."""

    order = models.PositiveIntegerField(default=0)

    objects = OrderedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self.order:
            self.order = type(self).objects.next_order(self.week_id)
        super().save(*args, **kwargs)

    def move(self, direction):
        """Swap places with the neighbour above ("up") or below (anything else)."""
        with transaction.atomic():
            rows = list(type(self).objects.in_order(self.week_id).select_for_update())
            index = next(i for i, row in enumerate(rows) if row.pk == self.pk)
            target = index - 1 if direction == "up" else index + 1
            if not 0 <= target < len(rows):
                return
            rows[index], rows[target] = rows[target], rows[index]
            for order, row in enumerate(rows, start=1):
                row.order = order
            type(self).objects.bulk_update(rows, ["order"])
        self.order = target + 1
