import threading
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError

from cohorts import markdown as markdown_module
from cohorts.markdown import (
    ALLOWED_TAGS,
    LONG_TEXT,
    MAX_NESTING,
    nesting_depth,
    render_markdown,
    validate_markdown,
)

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[x](https://example.com "title" onmouseover="alert(1))',
    '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    '![x](https://example.com/a.png "t\\" onerror=\\"alert(1)")',
    '<img src=x onerror="alert(1)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<svg onload="alert(1)"></svg>',
    '<object data="evil.swf"></object>',
    '<form action="https://evil.example"><input name="x"></form>',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<details open ontoggle="alert(1)">',
    "[x](<javascript:alert(1)>)",
    "<<script>script>alert(1)<</script>/script>",
]

SAFE_SCHEMES = ("http://", "https://", "mailto:")


class Inspector(HTMLParser):
    """Collects what a browser would act on: tags, attributes, URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"attribute {name}")
            if name in ("href", "src", "xlink:href") and value is not None:
                url = "".join(value.split()).lower()
                if ":" in url.split("/")[0] and not url.startswith(SAFE_SCHEMES):
                    self.problems.append(f"url {value!r}")


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_come_out_harmless(payload):
    html = str(render_markdown(payload))
    inspector = Inspector()
    inspector.feed(html)
    assert inspector.problems == [], (payload, html)
    assert "<script" not in html.lower()


def test_links_get_noopener_and_formatting_survives():
    html = render_markdown("**Why** is [this](https://example.com) *linear*?\n\n- a\n- b")
    assert '<a href="https://example.com" rel="noopener noreferrer">this</a>' in html
    assert "<strong>Why</strong>" in html and "<em>linear</em>" in html
    assert "<li>a</li>" in html


def test_math_in_unicode_reads_well():
    html = render_markdown("Why is y = w₁x₁ + w₂x₂ + w₃x₃² still a linear model?")
    assert "y = w₁x₁ + w₂x₂ + w₃x₃² still a linear model" in html


@pytest.mark.django_db
def test_stored_html_is_the_same_path(cohort):
    # Pages show the HTML stored on save; there is no template filter that renders Markdown.
    cohort.description = "<img src=x onerror=alert(1)> **ok**"
    cohort.save()
    cohort.refresh_from_db()
    assert "onerror" not in cohort.description_html
    assert "<strong>ok</strong>" in cohort.description_html


# --- Classes, pictures, links --------------------------------------------------------------


def test_class_attributes_are_dropped():
    html = render_markdown(
        "```python\nx = 1\n```\n\nSee {: .button-danger }\n\n<span class=x>y</span>"
    )
    assert "class=" not in html
    assert "<code>x = 1\n</code>" in html and "<span>y</span>" in html


def test_pictures_from_anywhere_become_links_and_raw_images_are_dropped():
    html = render_markdown(
        '![the pixel](https://tracker.example/p.gif "Seen") and ![](https://x.example/a.png)'
        "\n\n[ref]: https://tracker.example/r.gif\n\n![by reference][ref] "
        '<img src="https://tracker.example/raw.gif" alt="raw">'
    )
    assert "<img" not in html
    assert (
        '<a href="https://tracker.example/p.gif" title="Seen" rel="noopener noreferrer">'
        "the pixel</a>" in html
    )
    assert (
        '<a href="https://x.example/a.png" rel="noopener noreferrer">https://x.example/a.png</a>'
        in html
    )
    assert '<a href="https://tracker.example/r.gif" rel="noopener noreferrer">by reference</a>' in (
        html
    )
    assert "raw.gif" not in html


def test_the_content_security_policy_allows_no_pictures_from_other_sites(settings):
    sources = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
    assert not any(source in ("https:", "http:", "*") for source in sources)


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("[a [nested] text](https://example.com)", '<a href="https://example.com"'),
        ('[t](https://example.com "A title")', 'title="A title"'),
        ("[w](https://en.wikipedia.org/wiki/Bias_(statistics))", "wiki/Bias_(statistics)"),
        ("[w](<https://example.com/a b>)", 'href="https://example.com/a b"'),
        ("[r][x] and [x]\n\n[x]: https://example.com/r", '<a href="https://example.com/r"'),
    ],
)
def test_links_read_as_before(text, link):
    assert link in render_markdown(text)


# --- Bounded: long, deep and odd texts --------------------------------------------------------


def test_ten_thousand_brackets_show_as_typed():
    assert render_markdown("[" * 10_000) == "<p>" + "[" * 10_000 + "</p>"
    assert render_markdown("![" * 5_000) == "<p>" + "![" * 5_000 + "</p>"


def test_nesting_is_counted_by_quote_list_and_indent():
    assert nesting_depth("plain\n\n- a\n    - b\n        - c") == 3
    assert nesting_depth("> > quoted\n> - in a list") == 2
    assert nesting_depth("- - - - x") == 4
    assert nesting_depth("- - - - - -") == 0  # a horizontal rule
    assert nesting_depth("1. one\n    1. two") == 2
    assert nesting_depth("\tcode") == 1


def test_deeper_than_the_limit_is_plain_text_and_never_an_error():
    for text in [
        "".join("    " * level + "- item\n" for level in range(300)),
        "> " * 300 + "deep",
        "- " * 300 + "deep",
        "1. " * 300 + "deep",
    ]:
        html = render_markdown(text)
        assert "<ul>" not in html and "<ol>" not in html and "<blockquote>" not in html
        assert html.startswith("<p>")
        assert ("deep" in html) != ("item" in html)


def test_validation_refuses_deep_nesting_with_a_clear_message():
    validate_markdown("".join("    " * level + "- x\n" for level in range(MAX_NESTING)))
    with pytest.raises(ValidationError, match="nested at most 20 levels deep"):
        validate_markdown("".join("    " * level + "- x\n" for level in range(MAX_NESTING + 1)))


def test_text_over_the_longest_limit_is_shown_as_plain_text():
    html = render_markdown("**a** <b>" + "x" * LONG_TEXT)
    assert html.startswith("<p>**a** &lt;b&gt;")


def test_a_failing_converter_shows_plain_text(monkeypatch, caplog):
    def explode(text):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(markdown_module, "_convert", explode)
    assert render_markdown("**x** <script>") == "<p>**x** &lt;script&gt;</p>"
    assert "could not be rendered" in caplog.text


def test_a_conversion_over_its_time_budget_shows_plain_text(monkeypatch, caplog):
    monkeypatch.setattr(markdown_module, "RENDER_BUDGET_SECONDS", -1)
    monkeypatch.setattr(markdown_module._Budget, "CHECK_EVERY", 1)
    assert render_markdown("**x**") == "<p>**x**</p>"
    assert "took too long" in caplog.text
    monkeypatch.undo()
    assert render_markdown("**x**") == "<p><strong>x</strong></p>"


def test_one_converter_per_thread_is_reused(monkeypatch):
    built = []
    original = markdown_module._new_converter

    def counting():
        built.append(threading.get_ident())
        return original()

    monkeypatch.setattr(markdown_module, "_new_converter", counting)
    monkeypatch.setattr(markdown_module._local, "converter", None)
    for n in range(5):
        render_markdown(f"**{n}** [^1]\n\n[^1]: note {n}")
    assert len(built) == 1
    # Nothing leaks from one text into the next (footnotes, references).
    assert "note 3" not in render_markdown("[^1] alone")

    results = []
    thread = threading.Thread(target=lambda: results.append(str(render_markdown("*t*"))))
    thread.start()
    thread.join()
    assert results == ["<p><em>t</em></p>"] and len(built) == 2


def test_bounded_link_scanning_reads_links_as_python_markdown_does():
    """The linear link scanners against Python-Markdown's own, on random bracket soup.

    One difference is on purpose: with no `)` left in the text, Python-Markdown may still
    make a link that swallows the rest of the text; here that is no link. The reference
    converter is given the same rule, and then every output must be the same."""
    import random

    import markdown
    from markdown import inlinepatterns as patterns

    class NoParenLeftNoLink:
        def getLink(self, data, index):  # noqa: N802
            if index > data.rfind(")"):
                return "", None, index, False
            return super().getLink(data, index)

    reference = markdown.Markdown(extensions=["extra", "sane_lists", "nl2br"], output_format="html")
    for name, processor, pattern, priority in [
        ("reference", patterns.ReferenceInlineProcessor, patterns.REFERENCE_RE, 170),
        ("link", patterns.LinkInlineProcessor, patterns.LINK_RE, 160),
    ]:
        patched = type(name, (NoParenLeftNoLink, processor), {})
        reference.inlinePatterns.register(patched(pattern, reference), name, priority)

    pieces = [*"[]()\"' ab:/.\n", "](", "[a](", "https://x.example", '"t"']
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        assert markdown_module._convert(text) == reference.reset().convert(text), text
