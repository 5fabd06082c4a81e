"""User text on map pages, and the nonce on the page's own scripts.

folium writes a tooltip's text verbatim into a JavaScript template literal, which Leaflet then
inserts as HTML. Text that reaches it must therefore be inert three times over: as HTML (``<``,
``&``, quotes), as a template literal (a backtick ends it, ``${`` runs code, a backslash escapes
the next character) and as a JavaScript source line (U+2028/U+2029). :func:`text` encodes all of
them as HTML character references, which the browser turns back into the characters the user
typed once the tooltip is HTML again.

Every inline ``<script>`` of a rendered page gets the request's Content-Security-Policy nonce;
an injected script never gets one, because user text can no longer contain ``<``.
"""

from __future__ import annotations

import html
import re

# Characters that mean something to JavaScript inside a template literal or a source line.
_SCRIPT_SPECIAL = str.maketrans({
    "`": "&#96;",
    "$": "&#36;",
    "\\": "&#92;",
    "\u2028": "&#8232;",
    "\u2029": "&#8233;",
})
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])(?![^>]*\snonce=)", re.IGNORECASE)
_NONCE_RE = re.compile(r"^[A-Za-z0-9_\-+/=]{16,}$")


def text(value: object) -> str:
    """``value`` as HTML text, safe in a quoted attribute, a template literal and a script string."""
    return html.escape(str(value), quote=True).translate(_SCRIPT_SPECIAL)


def tooltip(fragment: str) -> str:
    """A tooltip's HTML (user parts already passed through :func:`text`), safe in a template literal.

    Our own markup never contains these characters, so encoding the whole fragment once more only
    guards against a user value that skipped :func:`text`.
    """
    return fragment.translate(_SCRIPT_SPECIAL)


def with_script_nonce(page: str, nonce: str | None) -> str:
    """``page`` with ``nonce`` on every ``<script>`` tag that has none; unchanged without a nonce."""
    if not nonce:
        return page
    if not _NONCE_RE.fullmatch(nonce):
        raise ValueError("a CSP nonce is base64 text of at least 16 characters")
    return _SCRIPT_TAG.sub(f'<script nonce="{nonce}"', page)
