"""``entretien status``: the campaign at a glance, as plain-text tables."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import click

from entretien_forms.campaign import current_campaign
from entretien_forms.cli import AppContext, cli
from entretien_forms.cli.options import as_of_option
from entretien_forms.reports.compliance import COMPLIANCE_FILE_NAME
from entretien_forms.reports.follow_up import ManagerProgress
from entretien_forms.reports.status import (
    DEFAULT_LIMIT,
    CampaignStatus,
    Deadline,
    ReviewDue,
    campaign_status,
    workspace_inputs,
)
from entretien_forms.rules import fr
from entretien_forms.store import Store
from entretien_forms.text import count, fold

# Lines stay readable in a default terminal and in a mail: long texts are cut with "…".
LINE_WIDTH = 120
_GAP = "  "
NO_ROSTER = (
    "aucune liste des salariés n'a encore été importée dans cet espace de travail. "
    "Importez-la d'abord : « entretien roster import FICHIER »."
)
NO_EMPLOYEE = (
    "la dernière liste des salariés importée ne compte aucun salarié actif. "
    "Importez une liste à jour : « entretien roster import FICHIER »."
)


@cli.command()
@click.option(
    "--campaign",
    help="Campagne suivie (par défaut : [campagne] nom d'entretien.toml, sinon la dernière "
    "campagne émise, sinon l'année en cours).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Nombre d'échéances et d'états des lieux affichés (0 : tous).",
)
@as_of_option
@click.option("--json", "as_json", is_flag=True, help="Résultat en JSON, pour les scripts.")
@click.pass_obj
def status(
    app: AppContext, campaign: str | None, limit: int, as_of: date | None, as_json: bool
) -> None:
    """Afficher l'avancement de la campagne et les prochaines échéances.

    Les mêmes chiffres que suivi-entretiens.xlsx (« entretien report ») :
    statut de chaque salarié, formulaires émis, retournés, manquants et
    rejetés par responsable, entretiens en retard ou à tenir bientôt, états
    des lieux des 12 prochains mois. Les tableaux formations et absences posés
    à la racine de l'espace de travail sont pris en compte.
    """
    workspace = app.workspace()
    today = as_of or date.today()
    with Store.open(workspace.database_path) as store:
        problem = None
        if store.roster_import_count() == 0:
            problem = NO_ROSTER
        elif store.current_employee_count() == 0:
            problem = NO_EMPLOYEE
        if problem is not None:
            if as_json:
                click.echo(json.dumps({"error": problem}, ensure_ascii=False))
            else:
                click.secho(f"Erreur : {problem}", fg="red", err=True)
            sys.exit(1)
        inputs = workspace_inputs(workspace, store, today=today)
        result = campaign_status(
            store,
            workspace.settings,
            campaign=campaign or current_campaign(workspace.settings, store, today),
            today=today,
            trainings=inputs.trainings,
            absences=inputs.absences,
            topups=inputs.topups,
            history=inputs.history,
            trainings_known=inputs.trainings_known,
            limit=limit or None,
        )
    for sheet in inputs.sheets:
        if sheet.problems:  # on stderr: the JSON on stdout stays parseable
            errors = count(
                len(sheet.errors), "ligne en erreur ignorée", "lignes en erreur ignorées"
            )
            warnings = count(len(sheet.warnings), "avertissement", "avertissements")
            click.echo(
                f"Remarque : {sheet.source.name} : {errors}, {warnings} "
                "(détail : « entretien report »).",
                err=True,
            )
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    # Relative to the workspace, as the README names its folders: lines stay short.
    report = workspace.outbox.relative_to(workspace.root) / COMPLIANCE_FILE_NAME
    for line in render_status(result, workbook=report.as_posix()):
        click.echo(line)


def render_status(result: CampaignStatus, *, workbook: str) -> list[str]:
    """The terminal page: headline, progress by manager, deadlines, états des lieux."""
    by_status = result.by_status
    counts = [
        count(by_status["en_retard"], "en retard", "en retard"),
        count(by_status["a_verifier"], "à vérifier", "à vérifier"),
        count(by_status["a_planifier"], "à planifier", "à planifier"),
        count(by_status["a_jour"], "à jour", "à jour"),
    ]
    if by_status["sorti"]:
        counts.append(count(by_status["sorti"], "sorti", "sortis"))
    if by_status["non_concerne"]:
        counts.append(count(by_status["non_concerne"], "non concerné", "non concernés"))
    campaign = _clean(result.campaign)
    lines = [
        f"Campagne {campaign} au {fr(result.today)} : "
        f"{count(result.employees, 'salarié', 'salariés')} — {', '.join(counts)}",
        "",
        f"Formulaires de la campagne « {campaign} » par responsable",
    ]
    if result.managers:
        rows = [*(_manager_row(m) for m in result.managers), _manager_row(result.total)]
        lines += _table(_MANAGER_COLUMNS, rows, rule_before_last=True)
        if result.total.to_key:
            waiting = count(result.total.to_key, "retour papier attend", "retours papier attendent")
            lines.append(
                f"{waiting} la saisie des réponses écrites à la main : « entretien saisie » "
                "prépare une fiche de saisie par retour."
            )
    else:
        lines.append(
            "  Aucun formulaire émis pour cette campagne : « entretien generate --kind ... », "
            "ou --campaign pour en suivre une autre."
        )

    lines += ["", _heading("Prochaines échéances", len(result.deadlines), result.deadlines_total)]
    names = _names(result.deadlines)
    lines += _table(
        _DEADLINE_COLUMNS,
        [
            [
                names[d.matricule],
                d.manager,
                fr(d.due),
                SHORT_OCCASIONS.get(d.occasion, d.interview),
                _late(d.days_late) if d.days_late else d.status_label,
                f"{d.reason} ; à vérifier : {d.to_check}" if d.to_check else d.reason,
            ]
            for d in result.deadlines
        ],
        empty="Aucune échéance : aucun entretien n'est dû.",
    )
    lines += _more(
        len(result.deadlines), result.deadlines_total, ("échéance", "échéances"), workbook
    )

    title = "États des lieux en retard, à vérifier ou à tenir dans les 12 mois"
    lines += ["", _heading(title, len(result.reviews), result.reviews_total)]
    names = _names(result.reviews)
    # The top-up depends on the headcount only: all rows have one, or none has.
    topups = any(r.topup_applies for r in result.reviews)
    columns = [c for c in _REVIEW_COLUMNS if topups or c.header != "Abondement"]
    lines += _table(
        columns,
        [
            [
                names[r.matricule],
                r.manager,
                fr(r.due),
                str(r.number),
                _late(r.days_late) if r.days_late else r.situation_label,
                *([_topup(r)] if topups else []),
                r.reason,
            ]
            for r in result.reviews
        ],
        empty="Aucun état des lieux à tenir dans les 12 mois.",
    )
    lines += _more(
        len(result.reviews), result.reviews_total, ("état des lieux", "états des lieux"), workbook
    )
    if result.reviews and not topups:
        lines.append(
            "Abondement correctif non calculé : effectif sous le seuil ou non renseigné "
            "(entretien.toml, [entreprise] effectif)."
        )
    return lines


# Occasions named in a few words: the table has no room for the full labels (JSON has them).
SHORT_OCCASIONS: dict[str, str] = {
    "premiere_annee": "premier entretien",
    "periodique": "périodique",
    "retour_conge": "retour de congé",
    "avant_conge": "avant un congé",
    "mi_carriere": "mi-carrière",
    "avant_60": "fin de carrière",
    "etat_des_lieux": "état des lieux",
}


def _late(days: int) -> str:
    return f"en retard ({days} j)"


def _names(rows: Sequence[Deadline | ReviewDue]) -> dict[str, str]:
    """Names as HR knows people; the matricule only to tell two namesakes apart."""
    # An employee has up to two rows (interview, état des lieux): count people, not rows.
    seen = Counter(fold(name) for name in {r.matricule: r.name for r in rows}.values())
    return {
        r.matricule: r.name if seen[fold(r.name)] == 1 else f"{r.name} ({r.matricule})"
        for r in rows
    }


def _manager_row(progress: ManagerProgress) -> list[str]:
    rate = progress.return_rate
    return [
        progress.manager,
        str(progress.issued),
        str(progress.returned),
        str(progress.missing),
        str(progress.rejected),
        "—" if rate is None else f"{round(rate * 100)} %",
    ]


def _topup(review: ReviewDue) -> str:
    if review.topup_to_check:
        return "à vérifier"
    if not review.topup_amount:
        return "non dû"
    amount = f"{review.topup_amount:,}".replace(",", " ") + " €"
    if review.topup_paid_on is not None:
        return f"{amount} versé le {fr(review.topup_paid_on)}"
    return f"{amount} à craindre" if review.topup_provisional else f"{amount} dû"


def _heading(title: str, shown: int, total: int) -> str:
    return f"{title} ({shown} sur {total})" if shown < total else f"{title} ({total})"


def _more(shown: int, total: int, nouns: tuple[str, str], workbook: str) -> list[str]:
    if shown >= total:
        return []
    others = count(total - shown, f"autre {nouns[0]}", f"autres {nouns[1]}")
    return [
        f"… et {others} dans {workbook} (« entretien report ») ; --limit 0 pour tout afficher ici."
    ]


# ---------------------------------------------------------------------------
# Plain-text tables
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    header: str
    width: int  # at most this many characters; 0: what is left of the line
    right: bool = False  # numbers line up on the right


_MANAGER_COLUMNS = (
    _Column("Responsable", 36),
    _Column("Émis", 6, right=True),
    _Column("Retournés", 9, right=True),
    _Column("Manquants", 9, right=True),
    _Column("Rejetés", 7, right=True),
    _Column("%", 5, right=True),
)
_DEADLINE_COLUMNS = (
    _Column("Salarié", 24),
    _Column("Responsable", 18),
    _Column("Échéance", 10),
    _Column("Entretien", 17),
    _Column("Statut", 18),
    _Column("Motif", 0),
)
_REVIEW_COLUMNS = (
    _Column("Salarié", 24),
    _Column("Responsable", 18),
    _Column("Échéance", 10),
    _Column("N°", 2, right=True),
    _Column("Situation", 18),
    _Column("Abondement", 27),  # « 3 000 € versé le 15/03/2026 »
    _Column("Motif", 0),
)


def _table(
    columns: Sequence[_Column],
    rows: Sequence[Sequence[str]],
    *,
    rule_before_last: bool = False,
    empty: str = "",
) -> list[str]:
    """Aligned columns, each as wide as its longest cell up to its maximum.

    The flexible column gets what is left of ``LINE_WIDTH``; a cell wider than
    its column is cut with "…".
    """
    if not rows:
        return [f"  {empty}"]
    cells = [[_clean(c) for c in row] for row in rows]
    widths = [
        max(len(column.header), min(column.width or LINE_WIDTH, max(len(r[n]) for r in cells)))
        for n, column in enumerate(columns)
    ]
    for n, column in enumerate(columns):
        if not column.width:
            used = sum(w for i, w in enumerate(widths) if i != n) + len(_GAP) * (len(columns) - 1)
            widths[n] = max(len(column.header), min(widths[n], LINE_WIDTH - used))

    def line(values: Sequence[str]) -> str:
        texts = []
        for value, width, column in zip(values, widths, columns, strict=True):
            text = _cut(value, width)
            texts.append(text.rjust(width) if column.right else text.ljust(width))
        return _GAP.join(texts).rstrip()

    rule = line(["-" * w for w in widths])
    out = [line([c.header for c in columns]), rule]
    for number, row in enumerate(cells):
        if rule_before_last and number == len(cells) - 1:
            out.append(rule)
        out.append(line(row))
    return out


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _clean(text: str) -> str:
    """What a roster cell holds never drives the terminal: control characters become spaces.

    An escape sequence in a name could otherwise clear the screen or recolour
    the text, and a line break would break the table.
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else " " for ch in text
    )
