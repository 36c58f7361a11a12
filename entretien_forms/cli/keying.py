"""``entretien saisie``: the keying sheets of the paper returns whose handwriting waits for HR."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from entretien_forms.cli import AppContext, cli
from entretien_forms.keying import KeyingReport, make_keying_sheets
from entretien_forms.store import Store
from entretien_forms.text import count


@cli.command()
@click.option(
    "--reference",
    "references",
    multiple=True,
    metavar="REF",
    help="Faire la fiche de ce formulaire papier seulement, même déjà saisi (répétable).",
)
@click.option(
    "--remplacer",
    "replace",
    is_flag=True,
    help="Refaire les fiches déjà présentes dans saisie/ (une fiche en cours de saisie y est "
    "sinon conservée).",
)
@click.pass_obj
def saisie(app: AppContext, references: tuple[str, ...], replace: bool) -> None:
    """Préparer les fiches de saisie des formulaires papier scannés.

    Pour chaque formulaire papier dont les réponses écrites à la main restent
    à saisir, écrit saisie/<campagne>/<matricule>-<référence>.pdf : chaque
    zone manuscrite découpée dans le scan, avec un champ vide en dessous, puis
    les cases à cocher telles qu'elles ont été lues. Remplissez la fiche dans
    n'importe quel lecteur PDF, enregistrez-la et déposez-la dans inbox/.

    \b
    Code de sortie :
      0  toutes les fiches demandées sont écrites (ou déjà présentes) ;
      1  au moins un formulaire est resté sans fiche (la ligne dit pourquoi).
    """
    workspace = app.workspace()
    with Store.open(workspace.database_path) as store:
        report = make_keying_sheets(
            workspace,
            store,
            only=list(references) or None,
            now=datetime.now(),
            replace=replace,
        )
    _show(report)
    if report.problems:
        sys.exit(1)


def _show(report: KeyingReport) -> None:
    for sheet in report.sheets:
        shown = sheet.path.relative_to(report.folder.parent).as_posix()
        detail = (
            f"{count(sheet.written, 'réponse écrite', 'réponses écrites')}, "
            f"{count(sheet.ticks, 'question à cocher', 'questions à cocher')}"
        )
        click.echo(f"OK      {sheet.reference} → {shown} ({detail})")
        for note in sheet.notes:
            click.echo(f"        {note}")
    for path in report.kept:
        shown = path.relative_to(report.folder.parent).as_posix()
        click.echo(f"GARDÉE  {shown} (déjà présente ; --remplacer pour la refaire)")
    for problem in report.problems:
        click.secho(f"À VOIR  {problem}", fg="yellow")
    if not report.sheets and not report.kept and not report.problems:
        click.echo("Aucun formulaire papier n'attend de saisie.")
    written = count(len(report.sheets), "fiche de saisie écrite", "fiches de saisie écrites")
    click.echo(f"{written} dans {report.folder}")
