"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from entretien_forms.roster import parse_french_date

F = TypeVar("F", bound=Callable[..., Any])


def _as_of(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """Read like the roster's dates (31/12/2026, 31/12/26, 2026-12-31, 31 décembre 2026)."""
    if value is None:
        return None
    day = parse_french_date(value, date.today())
    if day is None:
        raise click.BadParameter(
            f"« {value} » n'est pas une date valide ; écrivez-la JJ/MM/AAAA, par exemple "
            "31/12/2026."
        )
    return day


def as_of_option(command: F) -> F:
    """``--date``: compute as of that day (audits, « qui sera en retard au 31/12 »)."""
    return click.option(
        "--date",
        "as_of",
        metavar="JJ/MM/AAAA",
        callback=_as_of,
        help="Calculer à cette date plutôt qu'aujourd'hui : audit à une date passée, ou "
        "« qui sera en retard au 31/12 ».",
    )(command)
