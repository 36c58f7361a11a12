"""The one Jinja2 environment for labels and pre-fill expressions (forms and company templates).

Form definitions are files HR edits and may receive from elsewhere, so the
environment is sandboxed (no attribute tricks reach Python internals) and
strict (a misspelt variable is an error, not an empty string).
"""

from __future__ import annotations

from datetime import date

from jinja2 import StrictUndefined, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment


def _date_fr(value: object) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
ENV.filters["date_fr"] = _date_fr

__all__ = ["ENV", "TemplateSyntaxError"]
