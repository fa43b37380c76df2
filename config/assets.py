"""Static assets for fast first paint: one screen stylesheet per page in production.

The screen styles live in one file per app (`settings.SCREEN_STYLESHEETS`, in cascade
order), which is easy to edit but costs a page one render-blocking request each. With
`DEBUG` off, `collectstatic` joins them into `css/screen.css`; WhiteNoise then serves it
under its content hash, Brotli- or gzip-compressed, cached for a year (`immutable`).
`{% screen_stylesheets %}` links that one file, or, when the joined file is not there
(`DEBUG`, tests), the parts one by one. The print stylesheet stays a separate
`media="print"` link, which does not block rendering.
"""

from collections.abc import Iterator
from typing import Any

from django import template
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.templatetags.static import static
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from whitenoise.storage import CompressedManifestStaticFilesStorage

SCREEN_BUNDLE = "css/screen.css"

register = template.Library()


def joined_stylesheets(paths: dict[str, tuple[Any, str]]) -> bytes:
    """The screen stylesheets, each under a comment naming it, from collectstatic's sources."""
    parts = []
    for name in settings.SCREEN_STYLESHEETS:
        storage, path = paths[name]
        with storage.open(path) as source:
            parts.append(b"/* " + name.encode() + b" */\n" + source.read().rstrip() + b"\n")
    return b"\n".join(parts)


class BundledStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed storage, plus the joined screen stylesheet.

    Relative `url(...)` references keep working: every part lives in `css/`, like the
    joined file, and Django's manifest step rewrites them to hashed names as usual.
    """

    def post_process(
        self, paths: dict[str, tuple[Any, str]], *args: Any, **kwargs: Any
    ) -> Iterator[tuple[str, str | None, Any]]:
        if not kwargs.get("dry_run"):
            if self.exists(SCREEN_BUNDLE):
                self.delete(SCREEN_BUNDLE)
            self._save(SCREEN_BUNDLE, ContentFile(joined_stylesheets(paths)))
            paths = {**paths, SCREEN_BUNDLE: (self, SCREEN_BUNDLE)}
        yield from super().post_process(paths, *args, **kwargs)


def bundled() -> bool:
    """Whether collectstatic made the joined file (production storage)."""
    return isinstance(staticfiles_storage, BundledStaticFilesStorage)


@register.simple_tag
def screen_stylesheets() -> SafeString:
    """`<link rel="stylesheet">` for the screen styles: the joined file, or every part."""
    names = [SCREEN_BUNDLE] if bundled() else list(settings.SCREEN_STYLESHEETS)
    return format_html_join(
        "\n  ", '<link rel="stylesheet" href="{}">', ((static(name),) for name in names)
    )
