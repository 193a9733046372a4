"""Python source as HTML with pygments' CSS classes (the styles are in static/css/pygments.css)."""

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

_LEXER = PythonLexer(stripnl=False, ensurenl=True)
_FORMATTER = HtmlFormatter(cssclass="highlight")


def python_html(code: str) -> SafeString:
    # pygments escapes the source itself, so the result is safe to insert as is.
    return mark_safe(highlight(code, _LEXER, _FORMATTER))
