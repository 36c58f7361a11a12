"""The current campaign: the one ``status``, ``report`` and the watcher's workbooks follow.

One rule, in one place, because three commands and the service each used to
pick "the current year" on their own, and a campaign issued as "Automne
2026" then vanished from the workbooks the watcher rebuilt. In order:

1. ``[campagne] nom`` in ``entretien.toml``, when HR names it;
2. else the campaign whose forms were issued last (the ledger knows it);
3. else the current year, the name ``generate`` gives by default.

Issuing is the exception: ``generate`` without ``--campaign`` issues for the
setting or the year, never for "the latest issued", so that the first
campaign of a new year is not filed silently under last year's name.
"""

from __future__ import annotations

from datetime import date

from entretien_forms.config import Settings
from entretien_forms.store import Store

__all__ = ["campaign_to_issue", "current_campaign"]


def current_campaign(settings: Settings, store: Store, today: date) -> str:
    """The campaign to follow: the setting, else the latest issued, else ``today``'s year."""
    return settings.campaign.name.strip() or store.latest_campaign() or str(today.year)


def campaign_to_issue(settings: Settings, today: date) -> str:
    """The campaign ``generate`` issues for without ``--campaign``: the setting, else the year."""
    return settings.campaign.name.strip() or str(today.year)
