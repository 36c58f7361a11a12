"""Form definitions: what each interview asks, and how it is pre-filled."""

from entretien_forms.forms.catalog import Catalog, describe, load_catalog, summary
from entretien_forms.forms.definition import FormDefinition, load_definition
from entretien_forms.forms.model import FormLayout, Identity
from entretien_forms.forms.prefill import (
    campaign_context,
    campaign_year,
    grid_for,
    label_context,
    prefill_scope,
    prefill_values,
    reprint_values,
)

__all__ = [
    "Catalog",
    "FormDefinition",
    "FormLayout",
    "Identity",
    "campaign_context",
    "campaign_year",
    "describe",
    "grid_for",
    "label_context",
    "load_catalog",
    "load_definition",
    "prefill_scope",
    "prefill_values",
    "reprint_values",
    "summary",
]
