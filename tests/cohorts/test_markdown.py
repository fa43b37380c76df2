from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from cohorts.markdown import ALLOWED_TAGS, render_markdown

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


def test_template_filter_is_the_same_path():
    rendered = Template("{% load homeroom %}{{ text|markdown }}").render(
        Context({"text": "<img src=x onerror=alert(1)> **ok**"})
    )
    assert "onerror" not in rendered and "<strong>ok</strong>" in rendered
