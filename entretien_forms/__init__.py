"""entretien-forms: interview forms for French SMEs, from roster to compliance workbook.

The public façade: what scripts and integrators may import. The pipeline
stages live in their own modules (roster → forms → renderers → inbox →
store → reports); see docs/architecture.md.
"""

from entretien_forms.config import Settings, load_settings
from entretien_forms.errors import (
    ConfigError,
    EntretienError,
    RosterError,
    StoreError,
    UnreadableFileError,
    WorkspaceError,
)
from entretien_forms.roster import Employee, Problem, Roster, read_roster
from entretien_forms.store import Store
from entretien_forms.workspace import Workspace, init_workspace, open_workspace

__all__ = [
    "ConfigError",
    "Employee",
    "EntretienError",
    "Problem",
    "Roster",
    "RosterError",
    "Settings",
    "Store",
    "StoreError",
    "UnreadableFileError",
    "Workspace",
    "WorkspaceError",
    "init_workspace",
    "load_settings",
    "open_workspace",
    "read_roster",
]
