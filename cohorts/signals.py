"""Events other apps react to without cohorts importing them."""

from django.dispatch import Signal

# Sent after a week's session was moved: sender=Week, week=..., old_start=..., new_start=...
session_moved = Signal()
