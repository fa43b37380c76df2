"""Events other apps react to without cohorts importing them."""

from django.dispatch import Signal

# Sent after a week's session was moved: sender=Week, week=..., old_start=..., new_start=...
session_moved = Signal()

# Sent when an invitation should reach its address (new, or resent):
# sender=Invitation, invitation=... (sent_count already counts this sending). Sent inside
# the caller's transaction; the receiver sends the email once it commits.
invitation_issued = Signal()
