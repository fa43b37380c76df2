"""The one path from user Markdown to HTML: Python-Markdown, then nh3.

Markdown is rendered once, when its row is saved, and the sanitized HTML is stored beside
its source (`summary` → `summary_html`, see `MarkdownModel`); pages show the stored HTML and
never render Markdown per request. `render_markdown` is the only function that marks user
text safe, and `MarkdownHTMLField` only ever holds what it returned.

Bounds, so no text can make a save or a page slow or fatal:
- length: each Markdown field has a `max_length` (`LONG_TEXT` or `SHORT_TEXT` characters),
  enforced by forms and by the course-file reader; the renderer shows anything longer than
  the field allows (at least `LONG_TEXT`) as plain text;
- nesting: lists and block quotes nested deeper than `MAX_NESTING` levels are a form error
  (`validate_markdown`); text that arrives deeper by another road is shown as plain text;
- the link and image patterns scan linearly (Python-Markdown's own rescan the rest of the
  text for every `[`, so 10 KB of `[` took 15 s);
- a conversion has a budget of CPU time (RENDER_BUDGET_SECONDS) for what is still
  super-linear in Python-Markdown (e.g. thousands of definition-list lines in one block);
  past it the text is shown as plain text;
- any error inside the converter is logged and the text is shown as plain text: a page
  never fails because of what someone typed.
"""

import logging
import re
import threading
import time
import xml.etree.ElementTree as etree

import markdown as python_markdown
import nh3
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe
from markdown import inlinepatterns
from markdown.extensions import md_in_html

logger = logging.getLogger(__name__)

LONG_TEXT = 20_000  # descriptions, summaries, notes, instructions, feedback
SHORT_TEXT = 5_000  # a discussion point, a pair prompt, a pre-work item's notes
MAX_NESTING = 20  # lists and block quotes inside each other

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
# No `class` (it would let text borrow the app's styles) and no images: a picture from
# another site is a tracking pixel, so Markdown images become plain links to the picture
# (see LinkedImage) and raw <img> tags are dropped. The Content-Security-Policy agrees:
# img-src allows no other site.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


# --- Nesting ---------------------------------------------------------------------------------

# One step into a line's container prefix: indentation, or a quote or list marker with the
# space after it.
_CONTAINER = re.compile(r"[ \t]+|>[ \t]?|[-*+][ \t]|\d{1,9}[.)][ \t]")
_RULE = re.compile(r"[ \t]*(?:[-*_][ \t]*)+")


def nesting_depth(text):
    """How deep lists and block quotes go, counted from each line's start (linear time).

    Every `>`, list marker (`-`, `*`, `+`, `1.`) and four columns of indentation in front of
    a line's text count as one level. That is what Python-Markdown recurses on; it counts
    an indented code line as deep too, which only matters past MAX_NESTING levels.
    """
    deepest = 0
    for line in text.splitlines():
        if _RULE.fullmatch(line):  # "- - -" is a horizontal rule, not three lists
            continue
        markers = columns = position = 0
        while match := _CONTAINER.match(line, position):
            token = match.group()
            if token[0] in " \t":
                columns += len(token) + 3 * token.count("\t")
            else:
                markers += 1
            position = match.end()
        deepest = max(deepest, markers + columns // 4)
    return deepest


def validate_markdown(text):
    """A clear form error for Markdown nested too deep to render."""
    if text and nesting_depth(text) > MAX_NESTING:
        raise ValidationError(
            f"Lists and quotes can be nested at most {MAX_NESTING} levels deep "
            "(counting each “>”, list marker and four spaces of indentation).",
            code="markdown_nesting",
        )


# --- Linear link and image patterns -----------------------------------------------------------

_BRACKET = re.compile(r"[\[\]]")
# A link's text may hold [brackets] nested this deep, and its (destination "title") this
# many parentheses deep and characters long. Beyond that it is not a link; the text stays.
MAX_LINK_BRACKETS = 10
MAX_LINK_DESTINATION = 1_000


class _Scan:
    """What the link patterns learnt about the text they are looking at. Six patterns look
    for `[` in turn, over the same text until one of them replaces something."""

    def __init__(self):
        self.data = None

    def of(self, data):
        if data is not self.data:
            self.data = data
            self.last_bracket = data.rfind("]")
            self.last_paren = data.rfind(")")
            self.texts = {}
        return self


class LinearLinks:
    """Python-Markdown's link text and destination scanners, bounded.

    The originals walk to the end of the text for every unclosed `[` or `(` (quadratic:
    10 KB of `[` took 15 s). Here a scan stops at the last `]` or `)` in the text, at
    MAX_LINK_BRACKETS levels and at MAX_LINK_DESTINATION characters, and the six patterns
    that read a link's text share what they found (`_Scan`).
    """

    def _scan(self, data):
        scan = getattr(self.md, "homeroom_link_scan", None)
        if scan is None:
            scan = self.md.homeroom_link_scan = _Scan()
        return scan.of(data)

    def getText(self, data, index):  # noqa: N802 - Python-Markdown's name
        scan = self._scan(data)
        found = scan.texts.get(index)
        if found is None:
            found = scan.texts[index] = _link_text(data, index, scan.last_bracket)
        return found

    def getLink(self, data, index):  # noqa: N802, C901 - Python-Markdown's name and shape
        """Python-Markdown's `(destination "title")` scan, visiting only the characters
        it acts on (parentheses and quotes) and bounded as the class says."""
        m = self.RE_LINK.match(data, pos=index)
        if m and m.group(1):
            return super().getLink(data, index)  # [text](<link> "title"): one regex
        if not m or index > self._scan(data).last_paren:
            return "", None, index, False
        start = m.end()
        stop = min(len(data), start + MAX_LINK_DESTINATION)
        href, title = "", None
        bracket_count = backtrack_count = 1
        last_bracket = -1
        quote = alt_quote = None
        start_quote = exit_quote = start_alt_quote = exit_alt_quote = -1
        ignore_matches = False
        index = start
        for special in _LINK_SPECIAL.finditer(data, start, stop):
            pos, c = special.start(), special.group()
            index = pos + 1
            if c == "(":
                if not ignore_matches:
                    bracket_count += 1
                    if bracket_count > MAX_LINK_BRACKETS:
                        break
                elif backtrack_count > 0:
                    backtrack_count -= 1
            elif c == ")":
                last = _last_visible(data, start, pos)
                if (exit_quote != -1 and quote == last) or (
                    exit_alt_quote != -1 and alt_quote == last
                ):
                    bracket_count = 0
                elif not ignore_matches:
                    bracket_count -= 1
                elif backtrack_count > 0:
                    backtrack_count -= 1
                    if backtrack_count == 0:
                        last_bracket = pos + 1
            elif not quote:
                ignore_matches = True
                backtrack_count, bracket_count = bracket_count, 1
                start_quote, quote = pos + 1, c
            elif c != quote and not alt_quote:
                start_alt_quote, alt_quote = pos + 1, c
            elif c == quote:
                exit_quote = pos + 1
            elif alt_quote and c == alt_quote:
                exit_alt_quote = pos + 1
            if bracket_count == 0:
                last = _last_visible(data, start, pos)
                if exit_quote >= 0 and quote == last:
                    href, title = data[start : start_quote - 1], data[start_quote : exit_quote - 1]
                elif exit_alt_quote >= 0 and alt_quote == last:
                    href = data[start : start_alt_quote - 1]
                    title = data[start_alt_quote : exit_alt_quote - 1]
                else:
                    href = data[start:pos]
                break
        if bracket_count != 0 and backtrack_count == 0:
            href, index, bracket_count = data[start : last_bracket - 1], last_bracket, 0
        if title is not None:
            title = self.RE_TITLE_CLEAN.sub(
                " ", inlinepatterns.dequote(self.unescape(title.strip()))
            )
        return self.unescape(href).strip(), title, index, bracket_count == 0


def _link_text(data, index, last_bracket):
    """The text of a link whose `[` is just before `index`: (text, end, found?)."""
    if index > last_bracket:
        return "", index, False
    depth = 1
    for match in _BRACKET.finditer(data, index, last_bracket + 1):
        if match.group() == "]":
            depth -= 1
            if depth == 0:
                return data[index : match.start()], match.end(), True
        else:
            depth += 1
            if depth > MAX_LINK_BRACKETS:
                break
    return "", index, False


_LINK_SPECIAL = re.compile(r"""[()'"]""")


def _last_visible(data, start, pos):
    """The last character before `pos` (from `start`) that is not a space, or ""."""
    while pos > start:
        pos -= 1
        if data[pos] != " ":
            return data[pos]
    return ""


class LinkedImage:
    """`![alt](url)` becomes a link to the picture, labelled with its description."""

    def makeTag(self, href, title, text):  # noqa: N802 - Python-Markdown's name
        return _picture_link(href, title, self.unescape(text))

    def handleMatch(self, m, data):  # noqa: N802 - Python-Markdown's name
        element, start, end = super().handleMatch(m, data)
        if element is not None and element.tag == "img":
            element = _picture_link(element.get("src"), element.get("title"), element.get("alt"))
        return element, start, end


def _picture_link(href, title, alt):
    link = etree.Element("a")
    link.set("href", href or "")
    if title:
        link.set("title", title)
    link.text = python_markdown.util.AtomicString(alt or href or "picture")
    return link


class _Link(LinearLinks, inlinepatterns.LinkInlineProcessor):
    pass


class _Reference(LinearLinks, inlinepatterns.ReferenceInlineProcessor):
    pass


class _ShortReference(LinearLinks, inlinepatterns.ShortReferenceInlineProcessor):
    pass


class _Image(LinkedImage, LinearLinks, inlinepatterns.ImageInlineProcessor):
    pass


class _ImageReference(LinkedImage, LinearLinks, inlinepatterns.ImageReferenceInlineProcessor):
    pass


class _ShortImageReference(
    LinkedImage, LinearLinks, inlinepatterns.ShortImageReferenceInlineProcessor
):
    pass


# Name, pattern and priority as Python-Markdown registers its own (inlinepatterns.py).
_LINK_PATTERNS = [
    ("reference", _Reference, inlinepatterns.REFERENCE_RE, 170),
    ("link", _Link, inlinepatterns.LINK_RE, 160),
    ("image_link", _Image, inlinepatterns.IMAGE_LINK_RE, 150),
    ("image_reference", _ImageReference, inlinepatterns.IMAGE_REFERENCE_RE, 140),
    ("short_reference", _ShortReference, inlinepatterns.REFERENCE_RE, 130),
    ("short_image_ref", _ShortImageReference, inlinepatterns.IMAGE_REFERENCE_RE, 125),
]


class _BoundedHTMLExtractor(md_in_html.HTMLExtractorExtra):
    def parse_starttag(self, i):
        self.md.homeroom_budget.check()
        return super().parse_starttag(i)


class _BoundedHtmlBlocks(md_in_html.HtmlBlockPreprocessor):
    """md_in_html's raw-HTML preprocessor (the same lines), watching the time budget."""

    def run(self, lines):
        parser = _BoundedHTMLExtractor(self.md)
        parser.feed("\n".join(lines))
        parser.close()
        return "".join(parser.cleandoc).split("\n")


# Python-Markdown rescans the rest of a block for each line some processors take off it
# (quadratic on a huge block), so a conversion also has a budget of CPU time: past it, the
# text is shown as plain text. Ordinary text of the longest length allowed takes ~1/50 of it.
RENDER_BUDGET_SECONDS = 0.5


class _OverBudget(Exception):
    pass


class _Budget:
    """One converter's CPU deadline, looked at every CHECK_EVERY steps (reading the clock
    at every step would cost a quarter of an ordinary conversion)."""

    CHECK_EVERY = 32

    def __init__(self):
        self.deadline = None
        self.steps = 0

    def start(self):
        self.deadline = time.thread_time() + RENDER_BUDGET_SECONDS
        self.steps = 0

    def check(self):
        self.steps += 1
        if self.steps % self.CHECK_EVERY == 0 and time.thread_time() > self.deadline:
            raise _OverBudget


def _watched(method, budget):
    def watched(*args, **kwargs):
        budget.check()
        return method(*args, **kwargs)

    return watched


def _new_converter():
    md = python_markdown.Markdown(
        extensions=["extra", "sane_lists", "nl2br"],
        output_format="html",
    )
    for name, processor, pattern, priority in _LINK_PATTERNS:
        md.inlinePatterns.register(processor(pattern, md), name, priority)
    md.preprocessors.register(_BoundedHtmlBlocks(md), "html_block", 20)
    budget = md.homeroom_budget = _Budget()
    for processor in md.parser.blockprocessors:
        processor.test = _watched(processor.test, budget)
    for pattern in md.inlinePatterns:
        pattern.handleMatch = _watched(pattern.handleMatch, budget)
    return md


# One converter per thread, reset between texts (building one is most of the cost).
_local = threading.local()


def _convert(text):
    md = getattr(_local, "converter", None)
    if md is None:
        md = _local.converter = _new_converter()
    md.homeroom_budget.start()
    try:
        return md.reset().convert(text)
    except BaseException:
        _local.converter = None  # half-way through a text: start the next one afresh
        raise


# --- The one path ----------------------------------------------------------------------------


def _as_plain_text(text):
    return linebreaks(escape(text))


def render_markdown(text: str, limit: int = LONG_TEXT) -> SafeString:
    """Markdown to sanitized HTML, safe to put in a page. Never raises on any text.

    Text longer than `limit` (a field's own `max_length`, when it allows more than
    LONG_TEXT, as an announcement's body does) is shown as plain text."""
    if not text:
        return mark_safe("")  # noqa: S308 - empty string
    if len(text) > limit or nesting_depth(text) > MAX_NESTING:
        html = _as_plain_text(text)
    else:
        try:
            html = _convert(text)
        except _OverBudget:
            logger.warning("Markdown took too long to render; showing it as plain text")
            html = _as_plain_text(text)
        except Exception:  # RecursionError included: a page never fails on what was typed
            logger.exception("Markdown could not be rendered; showing it as plain text")
            html = _as_plain_text(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(clean)  # noqa: S308 - sanitized by nh3 just above


# --- Stored beside its source ----------------------------------------------------------------


class MarkdownHTMLField(models.TextField):
    """The sanitized HTML of a Markdown field, filled only by `render_markdown` on save.

    Read back as safe HTML, so templates show it as it is: `{{ week.summary_html }}`.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return mark_safe(value) if value is not None else value  # noqa: S308 - see the class


def html_field(name):
    return f"{name}_html"


def limit_of(model, name):
    """How long a field's Markdown may be and still be rendered: its max_length, at least
    LONG_TEXT (the CPU budget still bounds a conversion)."""
    return max(LONG_TEXT, model._meta.get_field(name).max_length or 0)


class MarkdownQuerySet(models.QuerySet):
    """bulk_create, bulk_update and update fill the HTML beside the Markdown they write."""

    def _markdown_fields(self):
        return getattr(self.model, "markdown_fields", ())

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            if isinstance(obj, MarkdownModel):
                obj.render_markdown()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, fields = list(objs), list(fields)
        sources = [name for name in self._markdown_fields() if name in fields]
        for obj in objs:
            obj.render_markdown(sources)
        fields += [html_field(name) for name in sources if html_field(name) not in fields]
        return super().bulk_update(objs, fields, *args, **kwargs)

    def update(self, **kwargs):
        for name in self._markdown_fields():
            if name in kwargs and html_field(name) not in kwargs:  # (bulk_update sends both)
                if not isinstance(kwargs[name], str):
                    raise TypeError(f"{name} takes text here, so its HTML can be rendered")
                kwargs[html_field(name)] = render_markdown(kwargs[name], limit_of(self.model, name))
        return super().update(**kwargs)


class MarkdownModel(models.Model):
    """A model with Markdown fields (`markdown_fields`), each with a `<name>_html`
    MarkdownHTMLField that save() fills."""

    markdown_fields = ()

    class Meta:
        abstract = True

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is None:
            self.render_markdown()
        else:
            update_fields = list(update_fields)
            sources = [name for name in self.markdown_fields if name in update_fields]
            self.render_markdown(sources)
            update_fields += [
                html_field(name) for name in sources if html_field(name) not in update_fields
            ]
        super().save(*args, update_fields=update_fields, **kwargs)

    def render_markdown(self, names=None):
        deferred = self.get_deferred_fields()
        for name in self.markdown_fields if names is None else names:
            if name not in deferred:
                setattr(
                    self,
                    html_field(name),
                    render_markdown(getattr(self, name), limit_of(type(self), name)),
                )


def fill_stored_html(model, names, batch_size=500):
    """For data migrations: render the Markdown of every existing row into its HTML field."""
    fields = [html_field(name) for name in names]
    rows = []
    for row in model.objects.only("pk", *names).iterator(chunk_size=batch_size):
        for name in names:
            setattr(
                row, html_field(name), render_markdown(getattr(row, name), limit_of(model, name))
            )
        rows.append(row)
        if len(rows) == batch_size:
            model.objects.bulk_update(rows, fields)
            rows = []
    if rows:
        model.objects.bulk_update(rows, fields)
