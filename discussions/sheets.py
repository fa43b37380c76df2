"""Printable pair-discussion sheets: one page per pair or trio, and the facilitator's overview.

The same template makes the print-ready HTML page and, through WeasyPrint, the PDF.
"""

import functools
import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template.loader import render_to_string

from . import pairing as pairing_module

OPENING_MINUTES = 10
CHANGEOVER_MINUTES = 1
CLOSING_MINUTES = 5
PAPER_SIZES = {"a4": "A4", "letter": "letter"}
# A reprint of unchanged sheets is the same PDF: kept this long, keyed on what it is made of.
PDF_CACHE_SECONDS = 24 * 60 * 60


@dataclass
class Turn:
    number: int
    prompt: object  # PairPrompt
    explainer: tuple  # (letter, user)
    listener: tuple | None
    prompt_number: int = 1  # the prompt's place in the week (a trio may repeat one)


@dataclass
class Sheet:
    group: object  # PairGroup
    members: list  # [(letter, user)]
    turns: list


@dataclass
class PlanRow:
    starts_at: object  # aware datetime
    minutes: int
    what: str


def rounds_for(prompts, groups):
    """How many turns the room takes for these prompts and groups (see pairing.round_count)."""
    largest = max((len(group.member_ids) for group in groups), default=2)
    return pairing_module.round_count(len(prompts), largest)


def turns_for(members, prompts, rounds):
    """The one place that says who explains what to whom in a group: [Turn] for its
    members [(letter, user)] over the room's `rounds`. Sheets, the timer and "My session"
    all read it, so they agree."""
    return [
        Turn(
            number=number,
            prompt=prompts[slot.prompt],
            explainer=members[slot.explainer],
            listener=members[slot.listener] if slot.listener is not None else None,
            prompt_number=slot.prompt + 1,
        )
        for number, slot in enumerate(
            pairing_module.turns(len(members), len(prompts), rounds), start=1
        )
    ]


def sheets_for(groups, prompts):
    """Every group with, for each turn, the prompt and who explains to whom."""
    rounds = rounds_for(prompts, groups)
    return [
        Sheet(group=group, members=group.members, turns=turns_for(group.members, prompts, rounds))
        for group in groups
    ]


@dataclass
class RoomTurn:
    """One turn as the room timer calls it out: "A explains to B", for every pair."""

    number: int
    prompt: object  # PairPrompt
    explainer: str
    listener: str
    trio_line: str
    prompt_number: int = 1

    @property
    def seconds(self):
        return self.prompt.minutes * 60


def room_turns(prompts, has_trio):
    rounds = pairing_module.round_count(len(prompts), 3 if has_trio else 2)
    pair_turns = pairing_module.turns(2, len(prompts), rounds)
    trio_turns = pairing_module.turns(3, len(prompts), rounds)
    letters = "ABC"
    rows = []
    for number, (pair, trio) in enumerate(zip(pair_turns, trio_turns, strict=True), start=1):
        trio_line = ""
        if has_trio and (trio.explainer, trio.listener) != (pair.explainer, pair.listener):
            trio_line = (
                f"In the trio, {letters[trio.explainer]} explains to {letters[trio.listener]}."
            )
        explainer, listener = letters[pair.explainer], letters[pair.listener]
        prompt = prompts[pair.prompt]
        rows.append(RoomTurn(number, prompt, explainer, listener, trio_line, pair.prompt + 1))
    return rows


def timing_plan(week, prompts, has_trio=False):
    """Start times for the session: opening, one row per pair turn, discussion, feedback."""
    cohort = week.cohort
    moment = cohort.local(week.session_start)
    end = cohort.local(week.session_end)
    rows = [PlanRow(moment, OPENING_MINUTES, "Welcome; muddiest points so far; form pairs")]
    moment += timedelta(minutes=OPENING_MINUTES)
    for turn in room_turns(prompts, has_trio):
        minutes = turn.prompt.minutes + CHANGEOVER_MINUTES
        what = f"Pair prompt {turn.prompt_number}: {turn.explainer} explains to {turn.listener}"
        rows.append(PlanRow(moment, minutes, what))
        moment += timedelta(minutes=minutes)
    discussion = int((end - moment).total_seconds() // 60) - CLOSING_MINUTES
    if discussion > 0:
        rows.append(PlanRow(moment, discussion, "Discussion points with the whole room"))
        moment += timedelta(minutes=discussion)
    rows.append(PlanRow(moment, CLOSING_MINUTES, "Wrap up; ask for feedback"))
    overrun = int((moment + timedelta(minutes=CLOSING_MINUTES) - end).total_seconds() // 60)
    return rows, max(overrun, 0)


def paper_for(cohort, requested):
    """A4 unless asked otherwise; Letter by default for cohorts in the Americas."""
    if requested in PAPER_SIZES:
        return requested
    return "letter" if cohort.time_zone.startswith("America/") else "a4"


@contextmanager
def quiet_weasyprint():
    """WeasyPrint logs every CSS rule it skips (the screen rules in the shared stylesheet)
    and every layout step; keep errors only."""
    loggers = [logging.getLogger(name) for name in ("weasyprint", "weasyprint.progress")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@functools.cache
def _weasyprint():
    """WeasyPrint's stylesheets and font configuration, made once per process: parsing the
    sheets' CSS and setting up fonts is the same work for every PDF. Also a digest of what
    besides the HTML shapes the PDF (the stylesheet, WeasyPrint's version), for the cache key."""
    with quiet_weasyprint():
        # Imported here: loading WeasyPrint parses its own stylesheets (and logs it).
        from weasyprint import CSS, HTML, __version__
        from weasyprint.text.fonts import FontConfiguration
        from weasyprint.urls import URLFetcher

        # User Markdown may hold image links: a fetcher that allows nothing but data: URLs
        # keeps the server from requesting addresses chosen by a user.
        fetcher = URLFetcher(allowed_protocols={"data"})
        fonts = FontConfiguration()
        with open(finders.find("css/sheets.css"), encoding="utf-8") as css_file:
            css_text = css_file.read()
        sheets_css = CSS(string=css_text, url_fetcher=fetcher, font_config=fonts)
        papers = {
            paper: CSS(string=f"@page {{ size: {size}; }}", url_fetcher=fetcher)
            for paper, size in PAPER_SIZES.items()
        }
        digest = hashlib.sha256(f"{__version__}\n{css_text}".encode()).hexdigest()
        return HTML, fetcher, fonts, sheets_css, papers, digest


def render_pdf(template, context, paper):
    """The sheets as PDF bytes. Nothing is fetched from the network or the disk.

    Laying out a page per group is the cost (about 20 ms a page); the HTML costs little. The
    PDF is cached under a digest of the HTML, the paper and the stylesheet, so printing the
    same sheets again is instant, and anything that changes them (new pairs, a swap, an
    edited prompt, a renamed person) makes different HTML and so a fresh PDF."""
    html = render_to_string(template, {**context, "for_pdf": True})
    HTML, fetcher, fonts, sheets_css, papers, digest = _weasyprint()  # noqa: N806
    key = "sheets-pdf:" + hashlib.sha256(f"{digest}\n{paper}\n{html}".encode()).hexdigest()
    pdf = cache.get(key)
    if pdf is None:
        with quiet_weasyprint():
            pdf = HTML(string=html, url_fetcher=fetcher, media_type="print").write_pdf(
                stylesheets=[sheets_css, papers[paper]], font_config=fonts
            )
        cache.set(key, pdf, PDF_CACHE_SECONDS)
    return pdf
