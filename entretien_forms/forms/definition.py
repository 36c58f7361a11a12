"""Read and check a form definition file (TOML) from ``templates/``.

HR edits these files, so every mistake is reported with the file, the field
id and the reason, at load time rather than halfway through a generation.
A definition is turned into a ``FormLayout`` for one campaign and one skills
grid; labels may use Jinja2 with ``campagne`` and ``entreprise`` (they are the
same for every employee, which lets renderers compile a layout once).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateSyntaxError, meta

from entretien_forms.errors import FormDefinitionError
from entretien_forms.forms.jinja import ENV
from entretien_forms.forms.model import (
    FIELD_TYPES,
    KINDS,
    Column,
    Field,
    FieldType,
    FormLayout,
    Item,
    Kind,
    Section,
    Table,
    TableRow,
)

_ID = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
# Word limits a content control's tag to 64 characters; a table cell id is
# "<table>.<row>.<column>", so each part is kept well under that.
MAX_ID_LENGTH = 40
GENERIC_GRID = "generique"
COMMON_GRID = "commun"
LABEL_VARIABLES = frozenset({"campagne", "entreprise"})
INTERVIEW_VARIABLES = frozenset({"entretien", "etat_des_lieux"})
PREFILL_VARIABLES = frozenset({"salarie", "manager", "campagne", "entreprise"}) | (
    INTERVIEW_VARIABLES
)
# The occasions a section may be kept for (the rules' codes, rules.OCCASION_LABELS):
# the topics L6315-1 adds for some interviews only (EPP-7) are asked on those forms only.
SECTION_OCCASIONS: Mapping[str, str] = {
    "premiere_annee": "premier entretien après l'embauche",
    "periodique": "entretien périodique",
    "retour_conge": "entretien de retour de congé ou d'absence",
    "avant_conge": "entretien avant un congé",
    "mi_carriere": "entretien de mi-carrière",
    "avant_60": "entretien de fin de carrière (avant 60 ans)",
}
PRIVACY_NOTICE = (
    "Ne notez ici aucune donnée de santé ni autre donnée sensible (opinions, vie privée)."
)
DEFAULT_PREFIXES: Mapping[str, str] = {
    "annuel": "EA",
    "professionnel": "EP",
    "etat_des_lieux": "EDL",
}
_TOP_KEYS = {
    "id",
    "title",
    "kind",
    "version",
    "reference_prefix",
    "roster_columns",
    "sections",
    "grids",
    "description",
    "word_template",
}
_SECTION_KEYS = {"title", "guidance", "fields", "occasions"}
_FIELD_KEYS = {
    "id",
    "label",
    "type",
    "required",
    "help",
    "prefill",
    "options",
    "scale",
    "scale_labels",
    "lines",
    "locked",
    "rows",
    "columns",
    "row_header",
}
_COLUMN_KEYS = {"id", "label", "type", "options", "scale", "scale_labels"}


@dataclass(frozen=True)
class FieldDef:
    id: str
    label: Template
    type: FieldType
    required: bool
    help: str | None
    prefill: Template | None
    options: tuple[str, ...]
    scale: tuple[int, ...]
    scale_labels: tuple[str, ...]
    lines: int
    locked: bool
    # Its pre-fill uses what the tool knew of the interview (``entretien``,
    # ``etat_des_lieux``): a reprint keeps the value issued rather than recompute it.
    from_interview: bool = False


@dataclass(frozen=True)
class TableDef:
    id: str
    label: Template
    columns: tuple[Column, ...]
    rows: int  # 0 for a skills grid (rows come from the grid)
    skills: bool
    help: str | None
    row_header: str | None
    # A Jinja2 expression giving the pre-filled rows: a list of {column id: value}.
    prefill: Callable[..., Any] | None = None
    from_interview: bool = False


@dataclass(frozen=True)
class SectionDef:
    title: Template
    guidance: Template | None
    items: tuple[FieldDef | TableDef, ...]
    # Kept only on the forms issued for one of these occasions; empty: on every form.
    occasions: tuple[str, ...] = ()

    def shown_for(self, occasions: Collection[str] | None) -> bool:
        """Whether a form issued for ``occasions`` asks this section (``None``: any occasion)."""
        return occasions is None or not self.occasions or bool(set(self.occasions) & set(occasions))


@dataclass(frozen=True)
class Skill:
    id: str
    label: str


@dataclass(frozen=True)
class FormDefinition:
    """A form as HR wrote it, checked; ``layout()`` makes it concrete."""

    id: str
    title: Template
    title_source: str
    kind: Kind
    version: str
    reference_prefix: str
    roster_columns: tuple[str, ...]
    sections: tuple[SectionDef, ...]
    grids: Mapping[str, tuple[Skill, ...]]
    source: Path
    description: str | None = None
    word_template: Path | None = None  # the company's own .docx layout, if HR gave one

    @property
    def has_skills(self) -> bool:
        return any(isinstance(i, TableDef) and i.skills for s in self.sections for i in s.items)

    def field_defs(self) -> tuple[FieldDef, ...]:
        return tuple(i for s in self.sections for i in s.items if isinstance(i, FieldDef))

    def table_defs(self) -> tuple[TableDef, ...]:
        return tuple(i for s in self.sections for i in s.items if isinstance(i, TableDef))

    def variant(self, occasions: Collection[str] | None) -> tuple[str, ...] | None:
        """The occasions that change this form's sections: one layout per variant.

        An occasion no section is kept for changes nothing (a periodic and a
        return interview ask the same), so it is dropped; ``None`` (every
        section) stays apart from ``()`` (only the sections of every occasion).
        """
        kept = {o for s in self.sections for o in s.occasions}
        if occasions is None or not kept:
            return None
        return tuple(sorted(kept & set(occasions)))

    def layout(
        self,
        grid: str | None,
        context: Mapping[str, Any],
        occasions: Collection[str] | None = None,
    ) -> FormLayout:
        """The concrete form for one campaign (``context``), skills grid and occasions.

        ``occasions`` are those of the interview the form is issued for: the
        sections kept for other occasions are left out, so a manager is asked
        only what the law asks for this interview. ``None`` keeps every section
        (a form issued without knowing its occasion, a preview).
        """
        if not self.has_skills:
            grid = None
        elif grid not in self.grids or grid == COMMON_GRID:
            grid = GENERIC_GRID
        occasions = self.variant(occasions)
        sections = []
        for section in self.sections:
            if not section.shown_for(occasions):
                continue
            items: list[Item] = []
            for item in section.items:
                if isinstance(item, FieldDef):
                    items.append(self._field(item, context))
                else:
                    items.append(self._table(item, grid, context))
            guidance = section.guidance.render(context) if section.guidance else None
            sections.append(Section(section.title.render(context), guidance, tuple(items)))
        return FormLayout(
            form_id=self.id,
            title=self.title.render(context),
            kind=self.kind,
            version=self.version,
            grid=grid,
            sections=tuple(sections),
            privacy_notice=PRIVACY_NOTICE,
            occasions=occasions,
        )

    def _field(self, item: FieldDef, context: Mapping[str, Any]) -> Field:
        return Field(
            id=item.id,
            label=item.label.render(context),
            type=item.type,
            required=item.required,
            help=item.help,
            options=item.options,
            scale=item.scale,
            scale_labels=item.scale_labels,
            lines=item.lines,
            prefilled=item.prefill is not None,
            locked=item.locked,
        )

    def _table(self, item: TableDef, grid: str | None, context: Mapping[str, Any]) -> Table:
        keys: list[tuple[str, str | None]]
        if item.skills:
            skills = [*self.grids.get(grid or GENERIC_GRID, ()), *self.grids.get(COMMON_GRID, ())]
            keys = [(s.id, s.label) for s in skills]
        else:
            keys = [(str(n), None) for n in range(1, item.rows + 1)]
        rows = tuple(
            TableRow(
                key,
                label,
                tuple(
                    Field(
                        id=f"{item.id}.{key}.{c.id}",
                        label=_cell_label(c.label, label, key),
                        type=c.type,
                        options=c.options,
                        scale=c.scale,
                        scale_labels=c.scale_labels,
                        prefilled=item.prefill is not None,
                    )
                    for c in item.columns
                ),
            )
            for key, label in keys
        )
        return Table(
            item.id, item.label.render(context), item.columns, rows, item.help, item.row_header
        )


def _uses_interview(source: str) -> bool:
    """Whether a (checked) template uses what the tool knows of the interview."""
    return bool(meta.find_undeclared_variables(ENV.parse(source)) & INTERVIEW_VARIABLES)


def _cell_label(column: str, row_label: str | None, key: str) -> str:
    return f"{column} – {row_label}" if row_label else f"{column} ({key})"


def load_definition(path: Path) -> FormDefinition:
    """Parse and check one definition file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FormDefinitionError(
            f"{path.name} : le fichier n'est pas en UTF-8 ; enregistrez-le en UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise FormDefinitionError(f"{path.name} : syntaxe TOML incorrecte ({exc}).") from exc
    return _Parser(path).definition(data)


class _Parser:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.ids: set[str] = set()

    def word_template(self, data: Mapping[str, Any]) -> Path | None:
        if "word_template" not in data:
            return None
        name = self.text(data, "word_template", None)
        path = self.path.parent / name
        if Path(name).name != name or not path.is_file():
            raise self.fail(
                None,
                f"word_template « {name} » introuvable : placez le modèle Word dans le même "
                f"dossier que {self.path.name} et donnez seulement son nom de fichier.",
            )
        return path

    def fail(self, where: str | None, reason: str) -> FormDefinitionError:
        place = f"{self.path.name}, champ « {where} »" if where else self.path.name
        return FormDefinitionError(f"{place} : {reason}")

    def definition(self, data: dict[str, Any]) -> FormDefinition:
        self.keys(data, _TOP_KEYS, None, "en tête de fichier")
        form_id = self.text(data, "id", None)
        if not _ID.fullmatch(form_id.replace("-", "_")):
            raise self.fail(
                None, f"id « {form_id} » invalide (lettres minuscules, chiffres, - et _)."
            )
        kind = self.text(data, "kind", None)
        if kind not in KINDS:
            raise self.fail(
                None, f"kind « {kind} » inconnu (valeurs possibles : {', '.join(KINDS)})."
            )
        grids = self.grids(data.get("grids", {}))
        sections = data.get("sections")
        if not isinstance(sections, list) or not sections:
            raise self.fail(
                None, "aucune section ([[sections]]) : un formulaire en a au moins une."
            )
        parsed = tuple(self.section(s, n) for n, s in enumerate(sections, start=1))
        definition = FormDefinition(
            id=form_id,
            title=self.template(self.text(data, "title", None), None, LABEL_VARIABLES),
            title_source=self.text(data, "title", None),
            kind=kind,
            version=self.version(data),
            reference_prefix=str(data.get("reference_prefix", DEFAULT_PREFIXES[kind])),
            roster_columns=tuple(self.strings(data, "roster_columns", None)),
            sections=parsed,
            grids=grids,
            source=self.path,
            description=data.get("description"),
            word_template=self.word_template(data),
        )
        if definition.has_skills and GENERIC_GRID not in grids:
            raise self.fail(
                None,
                f"la grille « {GENERIC_GRID} » est obligatoire dans [grids] "
                "(elle sert aux postes sans grille propre).",
            )
        return definition

    def keys(
        self, data: Mapping[str, Any], allowed: set[str], where: str | None, what: str
    ) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            place = f" {what}" if what else ""
            raise self.fail(
                where,
                f"clé(s) inconnue(s) {', '.join(unknown)}{place} "
                f"(clés possibles : {', '.join(sorted(allowed))}).",
            )

    def version(self, data: Mapping[str, Any]) -> str:
        value = data.get("version")
        if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value):
            raise self.fail(None, '« version » manquant : indiquez par exemple version = "1".')
        return str(value).strip()

    def text(self, data: Mapping[str, Any], key: str, where: str | None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"« {key} » manquant ou vide (texte attendu).")
        return value.strip()

    def strings(self, data: Mapping[str, Any], key: str, where: str | None) -> list[str]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, f"« {key} » doit être une liste de textes.")
        return [v.strip() for v in value]

    def template(self, source: str, where: str | None, allowed: frozenset[str]) -> Template:
        try:
            used = meta.find_undeclared_variables(ENV.parse(source))
            template = ENV.from_string(source)
        except TemplateSyntaxError as exc:
            raise self.fail(
                where, f"expression Jinja2 incorrecte dans « {source} » ({exc.message})."
            ) from exc
        unknown = used - allowed
        if unknown:
            raise self.fail(
                where,
                f"variable(s) {', '.join(sorted(unknown))} inconnue(s) dans "
                f"« {source} » (variables possibles : {', '.join(sorted(allowed))}).",
            )
        return template

    def new_id(self, value: Any, where: str | None) -> str:
        if not isinstance(value, str) or not _ID.fullmatch(value) or len(value) > MAX_ID_LENGTH:
            raise self.fail(
                where or str(value),
                f"id « {value} » invalide : lettres minuscules "
                f"sans accent, chiffres, _ et points, {MAX_ID_LENGTH} caractères au plus.",
            )
        if value in self.ids:
            raise self.fail(value, "id utilisé deux fois dans ce formulaire.")
        self.ids.add(value)
        return value

    def section(self, data: Any, number: int) -> SectionDef:
        where = f"section {number}"
        if not isinstance(data, dict):
            raise self.fail(None, f"{where} : doit être une table [[sections]].")
        self.keys(data, _SECTION_KEYS, None, f"dans la {where}")
        title = self.template(self.text(data, "title", where), where, LABEL_VARIABLES)
        guidance = data.get("guidance")
        items = data.get("fields", [])
        if not isinstance(items, list) or not items:
            raise self.fail(None, f"{where} : aucun champ ([[sections.fields]]).")
        occasions = self.strings(data, "occasions", where)
        unknown = [o for o in occasions if o not in SECTION_OCCASIONS]
        if unknown:
            raise self.fail(
                where,
                f"occasion(s) {', '.join(unknown)} inconnue(s) dans « occasions » (occasions "
                f"possibles : {', '.join(SECTION_OCCASIONS)}).",
            )
        return SectionDef(
            title,
            self.template(guidance, where, LABEL_VARIABLES) if guidance else None,
            tuple(self.item(i) for i in items),
            tuple(dict.fromkeys(occasions)),
        )

    def item(self, data: Any) -> FieldDef | TableDef:
        if not isinstance(data, dict):
            raise self.fail(None, "chaque champ doit être une table [[sections.fields]].")
        field_id = self.new_id(data.get("id"), None)
        self.keys(data, _FIELD_KEYS, field_id, "")
        kind = data.get("type")
        label = self.template(self.text(data, "label", field_id), field_id, LABEL_VARIABLES)
        if kind in ("table", "skills"):
            return self.table(data, field_id, label, skills=kind == "skills")
        if kind not in FIELD_TYPES:
            raise self.fail(
                field_id,
                f"type « {kind} » inconnu (types possibles : "
                f"{', '.join((*FIELD_TYPES, 'table', 'skills'))}).",
            )
        options, scale, scale_labels = self.choices(data, field_id, kind)
        prefill = data.get("prefill")
        lines = data.get("lines", 4 if kind == "longtext" else 1)
        if not isinstance(lines, int) or not 1 <= lines <= 40:
            raise self.fail(field_id, "« lines » doit être un nombre entre 1 et 40.")
        return FieldDef(
            id=field_id,
            label=label,
            type=kind,
            required=self.flag(data, "required", field_id),
            help=data.get("help"),
            prefill=self.template(prefill, field_id, PREFILL_VARIABLES) if prefill else None,
            from_interview=bool(prefill) and _uses_interview(str(prefill)),
            options=options,
            scale=scale,
            scale_labels=scale_labels,
            lines=lines,
            locked=self.flag(data, "locked", field_id),
        )

    def flag(self, data: Mapping[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, f"« {key} » doit valoir true ou false.")
        return value

    def choices(
        self, data: Mapping[str, Any], where: str, kind: str
    ) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
        options = tuple(self.strings(data, "options", where))
        if kind in ("choice", "multichoice") and len(options) < 2:
            raise self.fail(where, "un choix demande au moins deux « options ».")
        if kind not in ("choice", "multichoice") and options:
            raise self.fail(where, f"« options » ne s'applique pas au type {kind}.")
        scale: tuple[int, ...] = ()
        labels = tuple(self.strings(data, "scale_labels", where))
        if kind == "rating":
            bounds = data.get("scale")
            if (
                not isinstance(bounds, list)
                or len(bounds) != 2
                or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                or not 0 <= bounds[0] < bounds[1] <= 10
            ):
                raise self.fail(
                    where, "« scale » doit être [minimum, maximum], par exemple [1, 4]."
                )
            scale = tuple(range(bounds[0], bounds[1] + 1))
            if labels and len(labels) != len(scale):
                raise self.fail(
                    where,
                    f"« scale_labels » doit avoir {len(scale)} libellés, un "
                    "par niveau de l'échelle.",
                )
        elif "scale" in data or labels:
            raise self.fail(where, f"« scale » ne s'applique pas au type {kind}.")
        return options, scale, labels

    def table(
        self, data: Mapping[str, Any], table_id: str, label: Template, *, skills: bool
    ) -> TableDef:
        columns = data.get("columns")
        if not isinstance(columns, list) or not columns:
            raise self.fail(table_id, "un tableau demande au moins une colonne ([[...columns]]).")
        parsed = []
        seen: set[str] = set()
        for column in columns:
            if not isinstance(column, dict):
                raise self.fail(table_id, "chaque colonne doit être une table.")
            col_id = column.get("id")
            where = f"{table_id}.{col_id}"
            if not isinstance(col_id, str) or not _ID.fullmatch(col_id) or "." in col_id:
                raise self.fail(where, "id de colonne invalide (lettres minuscules, chiffres, _).")
            if col_id in seen:
                raise self.fail(where, "colonne présente deux fois.")
            seen.add(col_id)
            self.keys(column, _COLUMN_KEYS, where, "")
            kind = column.get("type")
            if kind not in FIELD_TYPES or kind == "longtext":
                raise self.fail(
                    where,
                    f"type de colonne « {kind} » impossible (types possibles : "
                    f"{', '.join(t for t in FIELD_TYPES if t != 'longtext')}).",
                )
            options, scale, labels = self.choices(column, where, kind)
            parsed.append(
                Column(col_id, self.text(column, "label", where), kind, options, scale, labels)
            )
        rows = data.get("rows", 0)
        if skills:
            if "rows" in data:
                raise self.fail(
                    table_id,
                    "un tableau « skills » prend ses lignes dans [grids], pas dans « rows ».",
                )
        elif not isinstance(rows, int) or not 1 <= rows <= 30:
            raise self.fail(table_id, "« rows » doit être un nombre de lignes entre 1 et 30.")
        prefill = data.get("prefill")
        if prefill is not None and (skills or not isinstance(prefill, str) or not prefill.strip()):
            raise self.fail(
                table_id,
                "« prefill » d'un tableau : une expression donnant les lignes, par exemple "
                "« etat_des_lieux.entretiens » (pas pour un tableau « skills »).",
            )
        return TableDef(
            table_id,
            label,
            tuple(parsed),
            rows,
            skills,
            data.get("help"),
            data.get("row_header"),
            self.expression(prefill, table_id, PREFILL_VARIABLES) if prefill else None,
            bool(prefill) and _uses_interview(f"{{{{ {prefill} }}}}"),
        )

    def expression(self, source: str, where: str, allowed: frozenset[str]) -> Callable[..., Any]:
        """A Jinja2 expression evaluated to a value (a table's rows), variables checked."""
        self.template(f"{{{{ {source} }}}}", where, allowed)
        return ENV.compile_expression(source, undefined_to_none=False)

    def grids(self, data: Any) -> dict[str, tuple[Skill, ...]]:
        if not isinstance(data, dict):
            raise self.fail(None, "[grids] doit être une table de grilles.")
        grids: dict[str, tuple[Skill, ...]] = {}
        for name, skills in data.items():
            if not isinstance(skills, list) or not skills:
                raise self.fail(None, f"grille « {name} » : liste de compétences attendue.")
            parsed: list[Skill] = []
            for skill in skills:
                if not isinstance(skill, dict) or set(skill) != {"id", "label"}:
                    raise self.fail(
                        None,
                        f"grille « {name} » : chaque compétence s'écrit "
                        '{ id = "prospection", label = "Prospection : ..." }.',
                    )
                if not _ID.fullmatch(str(skill["id"])) or "." in str(skill["id"]):
                    raise self.fail(None, f"grille « {name} » : id « {skill['id']} » invalide.")
                parsed.append(Skill(str(skill["id"]), str(skill["label"])))
            grids[name] = tuple(parsed)
        common = {s.id for s in grids.get(COMMON_GRID, ())}
        for name, skills in grids.items():
            clash = sorted(common & {s.id for s in skills}) if name != COMMON_GRID else []
            if clash:
                raise self.fail(
                    None,
                    f"grille « {name} » : {', '.join(clash)} figure(nt) déjà "
                    f"dans la grille « {COMMON_GRID} », ajoutée à toutes les grilles.",
                )
        return grids


def skill_ids(definition: FormDefinition) -> Sequence[str]:
    return sorted({s.id for skills in definition.grids.values() for s in skills})
