"""Homeroom's one way to write dates and times, on every page, email and Slack message:
"Thu 3 Sep 2026", "Thu 3 Sep 2026, 16:00", "16:00".

Templates say `{{ moment|when:cohort }}` (cohorts/templatetags/homeroom.py), `|date` and
`|time`; Python says `cohorts.dates.when(moment, cohort)`. Django's own defaults (`|date`
without a format, the admin) read these names too. The syntax is the `date` filter's.
"""

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "D j M"
