"""``entretien status``: the campaign at a glance, with the follow-up workbook's figures.

One small company, as of 26/11/2026, campaign « 2026 »:

1  Claire Martin, hired 01/02/2010, no interview known: to check (her history before the
   first roster import, 01/09/2026, is unknown); manages 2, 3 and 6.
2  Thomas Dubois, hired 01/03/2024, paper return received 10/11/2026: up to date;
   manages 4 and 5.
3  Zoé Petit, hired 15/01/2026, no interview: first one due within 90 days.
4  Léa Roy, hired 02/02/2026, back from maternity leave on 01/09/2026: return
   interview late (absences sheet).
5  Marc Noël, hired 01/03/2017, last interview 01/04/2023: late; his état des lieux
   (29/02/2024) is to check.
6  Inès Faure, hired 01/11/2018, last interview 01/12/2025: up to date, état des
   lieux due 31/10/2027 (within 12 months).
7  Hugo Blanc, hired 01/06/2025, no manager, interview returned on a form (10/11/2026).

Forms of the campaign: professional interviews for 2, 3, 4, 5 and 7, an annual one
for 6; returned by 2 (paper), 6 and 7. Files rejected: one naming 4's form by its
reference, one carrying 5's form file name, one scan nobody can be told from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from factories import STORE_PATH, TODAY, issued_form, return_of

from entretien_forms.cli import cli
from entretien_forms.cli.status import LINE_WIDTH, render_status
from entretien_forms.config import CompanySettings, Settings
from entretien_forms.reports.compliance import write_compliance_workbook
from entretien_forms.reports.figures import KeyFigures
from entretien_forms.reports.follow_up import ManagerProgress
from entretien_forms.reports.sheets import AbsenceRecord, HistoryRecord, TopUpPayment
from entretien_forms.reports.status import (
    CampaignStatus,
    Deadline,
    ReviewDue,
    campaign_status,
)
from entretien_forms.roster import read_roster
from entretien_forms.rules import Absence, Interview
from entretien_forms.store import IssuedForm, Store, StoredAnswer, Submission
from entretien_forms.workspace import open_workspace

CAMPAIGN = "2026"
SETTINGS = Settings(company=CompanySettings(name="Atelier Durand", headcount=60))
ROSTER = [
    [
        "Matricule",
        "Nom",
        "Prénom",
        "Date d'entrée",
        "Poste",
        "Responsable",
        "Dernier entretien professionnel",
    ],
    ["1", "Martin", "Claire", "01/02/2010", "Directrice", "", ""],
    ["2", "Dubois", "Thomas", "01/03/2024", "Commercial", "1", ""],
    ["3", "Petit", "Zoé", "15/01/2026", "Comptable", "1", ""],
    ["4", "Roy", "Léa", "02/02/2026", "Acheteuse", "2", ""],
    ["5", "Noël", "Marc", "01/03/2017", "Magasinier", "2", "01/04/2023"],
    ["6", "Faure", "Inès", "01/11/2018", "Soudeuse", "1", "01/12/2025"],
    ["7", "Blanc", "Hugo", "01/06/2025", "Technicien", "", ""],
]
ABSENCES = (
    AbsenceRecord(
        "4", Absence("maternite", date(2026, 4, 1), date(2026, 9, 1)), 2, "Congé maternité"
    ),
)
ABSENCES_CSV = "Matricule;Type d'absence;Date de début;Date de retour\n4;Congé maternité;01/04/2026;01/09/2026\n"


def _issued(number: int, matricule: str, kind: str, campaign: str = CAMPAIGN) -> IssuedForm:
    prefix = "EA" if kind == "annuel" else "EP"
    return issued_form(
        f"{prefix}-{campaign}-{number:05d}",
        matricule,
        kind,
        campaign=campaign,
        docx_path=f"{campaign}/Claire-Martin/form-{matricule}-{kind}.docx",
    )


def _submission(form: IssuedForm, sha: str, *, paper: bool = False) -> Submission:
    """The return of ``form``, received on 10/11/2026 at 8:00."""
    return return_of(form, sha, datetime(2026, 11, 10, 8), paper=paper)


def populate(store: Store, roster_file: Path) -> None:
    """The company above, into an empty store."""
    roster = read_roster(roster_file, today=TODAY)
    assert roster.problems == ()
    store.import_roster(roster, sha256="x", now=datetime(2026, 9, 1))
    last_year = _issued(1, "3", "professionnel", "2025")
    forms = {
        (m, k): _issued(n, m, k)
        for n, (m, k) in enumerate(
            [
                ("2", "professionnel"),
                ("3", "professionnel"),
                ("4", "professionnel"),
                ("5", "professionnel"),
                ("7", "professionnel"),
                ("6", "annuel"),
            ],
            start=1,
        )
    }
    store.record_issued([last_year, *forms.values()])
    now = datetime(2026, 11, 10, 8)
    store.record_submission(_submission(forms["2", "professionnel"], "a", paper=True), [], now=now)
    store.record_submission(
        _submission(forms["7", "professionnel"], "b"),
        [StoredAnswer("entretien.date", "2026-11-10", "control")],
        now=now,
    )
    store.record_submission(_submission(forms["6", "annuel"], "c"), [], now=now)
    for at, name, reference in (
        (datetime(2026, 9, 15), "scan-0000.pdf", None),  # before the campaign: not counted
        (datetime(2026, 11, 2), "form-5-professionnel (2).docx", None),  # employee 5
        (datetime(2026, 11, 3), "scan-0001.pdf", None),  # nobody's
        (datetime(2026, 11, 5), "Léa.docx", "EP-2026-00003"),  # employee 4
    ):
        store.log_event("rejete", name, now=at, reference=reference, detail="illisible")


@pytest.fixture
def store(tmp_path: Path, write_csv: Callable[..., Path]) -> Iterator[Store]:
    """The company above: roster imported, forms issued, returned and rejected."""
    with Store.open(tmp_path / STORE_PATH) as opened:
        populate(opened, write_csv("salaries.csv", ROSTER))
        yield opened


def _status(store: Store, **kwargs: Any) -> CampaignStatus:
    kwargs.setdefault("absences", ABSENCES)
    return campaign_status(store, SETTINGS, campaign=CAMPAIGN, today=TODAY, **kwargs)


# --- The figures --------------------------------------------------------------------------


def test_employees_counted_by_status(store: Store) -> None:
    status = _status(store)

    assert status.employees == 7
    assert dict(status.by_status) == {
        "en_retard": 2,  # 4, 5
        "a_verifier": 1,  # 1
        "a_planifier": 1,  # 3
        "a_jour": 3,  # 2, 6, 7
        "sorti": 0,
        "non_concerne": 0,
    }


def test_campaign_progress_by_manager(store: Store) -> None:
    status = _status(store)

    assert status.managers == (
        ManagerProgress(
            "Claire Martin", 3, 3, returned=2, paper=1, missing=1, rejected=0, manager_matricule="1"
        ),
        ManagerProgress(
            "Thomas Dubois", 2, 2, returned=0, paper=0, missing=2, rejected=2, manager_matricule="2"
        ),
        ManagerProgress(
            "Sans responsable", 1, issued=1, returned=1, paper=0, missing=0, rejected=0
        ),
        ManagerProgress(
            "Fichiers non attribués", 0, issued=0, returned=0, paper=0, missing=0, rejected=1
        ),
    )
    assert status.total == ManagerProgress(
        "Total", 6, issued=6, returned=3, paper=1, missing=3, rejected=3
    )
    assert [m.return_rate for m in status.managers] == [pytest.approx(2 / 3), 0, 1, None]
    assert status.total.return_rate == 0.5


def test_another_campaign_has_its_own_forms(store: Store) -> None:
    status = campaign_status(store, SETTINGS, campaign="2025", today=TODAY, absences=ABSENCES)

    assert status.managers == (
        ManagerProgress(
            "Claire Martin", 1, 1, returned=0, paper=0, missing=1, rejected=0, manager_matricule="1"
        ),
        # Rejected since its forms went out, naming none of them (as the workbook counts).
        ManagerProgress(
            "Fichiers non attribués", 0, issued=0, returned=0, paper=0, missing=0, rejected=2
        ),
    )


def test_deadlines_late_first_then_soonest(store: Store) -> None:
    deadlines = _status(store).deadlines

    # Each employee's next professional interview and next état des lieux, apart.
    assert [(d.matricule, d.kind, d.status) for d in deadlines] == [
        ("5", "entretien_professionnel", "en_retard"),
        ("4", "entretien_professionnel", "en_retard"),
        ("1", "entretien_professionnel", "a_verifier"),
        ("1", "etat_des_lieux", "a_verifier"),
        ("5", "etat_des_lieux", "a_verifier"),
        ("3", "entretien_professionnel", "a_planifier"),
        ("6", "etat_des_lieux", "a_jour"),
        ("6", "entretien_professionnel", "a_jour"),
        ("7", "entretien_professionnel", "a_jour"),
        ("2", "entretien_professionnel", "a_jour"),
        ("2", "etat_des_lieux", "a_jour"),
        ("7", "etat_des_lieux", "a_jour"),
        ("3", "etat_des_lieux", "a_jour"),
        ("4", "etat_des_lieux", "a_jour"),
    ]
    late = [d.days_late for d in deadlines if d.status == "en_retard"]
    assert late == [604, 56]
    others = [d.due for d in deadlines if d.status == "a_jour"]
    assert others == sorted(others)
    assert deadlines[1] == Deadline(
        matricule="4",
        name="Léa Roy",
        manager="Thomas Dubois",
        kind="entretien_professionnel",
        due=date(2026, 10, 1),
        occasion="retour_conge",
        interview="entretien de retour",
        reason=deadlines[1].reason,
        rule=deadlines[1].rule,
        status="en_retard",
        days_late=56,
    )
    assert "congé de maternité" in deadlines[1].reason
    # Never late on a presumption: the missing fact is named instead.
    claire = deadlines[2]
    assert (claire.due, claire.rule, claire.days_late, claire.to_check) == (
        date(2016, 3, 7),
        "OLD-0",
        0,
        "historique des entretiens avant le 01/09/2026 inconnu ; au plus tard le 01/09/2030 si "
        "un entretien a eu lieu juste avant",
    )
    assert deadlines[4].to_check == (
        "tenue de l'état des lieux inconnue (historique des entretiens avant le 01/04/2023 inconnu)"
    )


def test_without_the_absences_sheet_no_return_interview(store: Store) -> None:
    status = _status(store, absences=())

    leah = next(
        d for d in status.deadlines if d.matricule == "4" and d.kind == "entretien_professionnel"
    )
    assert leah.occasion != "retour_conge"


def test_limit_keeps_the_most_urgent(store: Store) -> None:
    every = _status(store, limit=None)
    first = _status(store, limit=2)

    assert first.deadlines == every.deadlines[:2]
    assert first.deadlines_total == every.deadlines_total == len(every.deadlines) == 14
    assert len(first.reviews) == min(2, first.reviews_total)


def test_reviews_late_or_due_within_twelve_months(store: Store) -> None:
    reviews = _status(store).reviews

    assert [(r.matricule, r.number, r.situation) for r in reviews] == [
        ("1", 1, "a_verifier"),
        ("5", 1, "a_verifier"),
        ("6", 1, "a_venir"),
    ]
    assert reviews[0] == ReviewDue(
        matricule="1",
        name="Claire Martin",
        manager="Sans responsable",
        number=1,
        # 6 years counted from the 2014 law (OLD-0), deferred to 30/06/2021 (OLD-1).
        due=date(2021, 6, 30),
        situation="a_verifier",
        days_late=0,
        reason=reviews[0].reason,
        rule="transition, OLD-1",
        topup_applies=True,
        topup_amount=0,  # never owed on a presumption
        topup_provisional=False,
        topup_to_check=(
            "les entretiens dus ont été tenus (historique des entretiens avant le 01/09/2026 "
            "inconnu)"
        ),
    )
    assert (reviews[2].due, reviews[2].days_late) == (date(2027, 10, 31), 0)
    # Its first interview was met late as far as the tool knows: to check, not to fear.
    assert (reviews[2].topup_amount, reviews[2].topup_to_check is not None) == (0, True)


def test_a_topup_paid_shows_with_its_date(store: Store, write_csv: Callable[..., Path]) -> None:
    """Claire's history completed by HR: her first état des lieux owes a top-up, paid."""

    paid = campaign_status(
        store,
        SETTINGS,
        campaign=CAMPAIGN,
        today=TODAY,
        topups=[TopUpPayment("1", date(2026, 3, 15), None, 2)],
        history=[HistoryRecord("1", Interview(date(2016, 2, 1)), 2, "EP")],
    )

    (review, *_) = paid.reviews
    assert (review.matricule, review.situation, review.topup_paid_on) == (
        "1",
        "en_retard",
        date(2026, 3, 15),
    )
    assert review.as_dict()["topup_paid_on"] == "2026-03-15"
    assert all(r.topup_paid_on is None for r in paid.reviews[1:])
    assert "3 000 € versé le 15/03/2026" in "\n".join(render_status(paid, workbook="x.xlsx"))


def test_empty_store_gives_an_empty_status(tmp_path: Path) -> None:
    with Store.open(tmp_path / "entretien.sqlite3") as empty:
        status = campaign_status(empty, SETTINGS, campaign=CAMPAIGN, today=TODAY)

    assert (status.employees, status.managers, status.deadlines, status.reviews) == (0, (), (), ())
    assert status.total == ManagerProgress("Total", 0, 0, 0, 0, 0, 0)
    assert status.total.return_rate is None


# --- The same figures as suivi-entretiens.xlsx --------------------------------------------


def _rows(sheet: Any) -> list[dict[str, Any]]:
    headers = [c.value for c in sheet[1]]
    found = []
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] is None:
            break
        found.append(dict(zip(headers, row, strict=True)))
    return found


def _day(value: object) -> object:
    return value.date() if isinstance(value, datetime) else value


def test_figures_equal_the_compliance_workbook(store: Store, tmp_path: Path) -> None:
    status = _status(store, limit=None)
    # Saved and opened again: the big tables are streamed into the file only.
    workbook = openpyxl.load_workbook(
        write_compliance_workbook(
            tmp_path, store, SETTINGS, campaign=CAMPAIGN, today=TODAY, absences=ABSENCES
        )
    )

    campaign_rows = list(workbook["Campagne"].iter_rows(min_row=2, values_only=True))
    managers = [
        (m.manager, m.employees, m.issued, m.returned, m.paper, m.to_key, m.missing, m.rejected)
        for m in status.managers
    ]
    assert [row[:8] for row in campaign_rows[: len(managers)]] == managers
    assert campaign_rows[len(managers)] == (None,) * 9  # the table ends there
    t = status.total
    assert campaign_rows[len(managers) + 1][:8] == (
        "Total — campagne « 2026 »",
        *(t.employees, t.issued, t.returned, t.paper, t.to_key, t.missing, t.rejected),
    )
    rates = [row[8] for row in campaign_rows if row[0] is not None]
    assert rates == [pytest.approx(m.return_rate) for m in [*status.managers, t]]

    summary = {
        row[0]: row[1]
        for row in workbook["Synthèse"].iter_rows(max_col=2, values_only=True)
        if row[0]
    }
    assert summary["Salariés suivis"] == status.employees
    assert summary["Salariés en retard"] == status.by_status["en_retard"]
    assert summary["Salariés dont l'entretien est à planifier"] == status.by_status["a_planifier"]
    assert summary["Salariés à jour"] == status.by_status["a_jour"]
    assert summary["Fichiers rejetés (campagne)"] == status.total.rejected
    # Every key figure of the Synthèse sheet is the one status computed, by the same function.
    k = status.figures
    assert [
        summary[label]
        for label in (
            "Salariés suivis",
            "Entretiens professionnels tenus sur les 12 derniers mois",
            "Salariés ayant eu un entretien sur les 12 derniers mois",
            "Salariés à vérifier",
            "États des lieux tenus sur les 12 derniers mois",
            "États des lieux en retard",
            "États des lieux à vérifier",
            "États des lieux à tenir dans les 12 mois",
            "Abondements correctifs dus",
            "Montant des abondements correctifs dus",
            "Abondements correctifs versés",
            "Abondements à craindre dans les 12 mois si rien ne change",
            "Abondements correctifs à vérifier",
            "Formulaires émis (campagne)",
            "Formulaires retournés (campagne)",
            "Formulaires manquants (campagne)",
        )
    ] == [
        k.employees,
        k.interviews_last_year,
        k.employees_interviewed_last_year,
        k.by_status["a_verifier"],
        k.reviews_held_last_year,
        k.reviews_late,
        k.reviews_to_check,
        k.reviews_due_within_year,
        k.topups_owed,
        k.topups_owed_amount,
        k.topups_paid,
        k.topups_feared,
        k.topups_to_check,
        k.forms_issued,
        k.forms_returned,
        k.forms_missing,
    ]

    assert summary["Salariés à vérifier"] == status.by_status["a_verifier"]

    employees = _rows(workbook["Salariés"])
    by_matricule = {str(r["Matricule"]): r for r in employees}
    columns = {
        "entretien_professionnel": ("Prochain entretien professionnel", "Motif de l'échéance"),
        "etat_des_lieux": ("Prochain état des lieux", "Motif de l'état des lieux"),
    }
    for deadline in status.deadlines:
        row = by_matricule[deadline.matricule]
        day, motif = columns[deadline.kind]
        assert (_day(row[day]), row[motif]) == (
            deadline.due,
            f"{deadline.reason} ; à vérifier : {deadline.to_check}"
            if deadline.to_check
            else deadline.reason,
        )
        if deadline.kind == "entretien_professionnel":
            assert row["Entretien attendu"] == deadline.interview
    # An employee's status is their most urgent deadline's; days late, the longest.
    order = ["en_retard", "a_verifier", "a_planifier", "a_jour"]
    for matricule, row in by_matricule.items():
        own = [d for d in status.deadlines if d.matricule == matricule]
        worst = min(own, key=lambda d: (order.index(d.status), -d.days_late))
        assert (row["Statut"], row["Jours de retard"] or 0) == (
            worst.status_label,
            worst.days_late,
        )

    reviews = [
        r for r in _rows(workbook["État des lieux"]) if not str(r["Situation"]).startswith("tenu")
    ]
    assert [
        (str(r["Matricule"]), r["État des lieux n°"], _day(r["À tenir au plus tard le"]))
        for r in reviews
    ] == [(r.matricule, r.number, r.due) for r in status.reviews]
    assert [r["Situation"] for r in reviews] == [r.situation_label for r in status.reviews]
    assert [r["Montant"] for r in reviews] == [r.topup_amount for r in status.reviews]


# --- JSON ---------------------------------------------------------------------------------


def test_as_dict_is_json_with_iso_dates(store: Store) -> None:
    data = json.loads(json.dumps(_status(store, limit=3).as_dict()))

    assert list(data) == [
        "campaign",
        "today",
        "employees",
        "by_status",
        "managers",
        "total",
        "deadlines",
        "deadlines_total",
        "reviews",
        "reviews_total",
        "key_figures",
    ]
    assert (data["campaign"], data["today"], data["employees"]) == ("2026", "2026-11-26", 7)
    assert data["key_figures"]["by_status"] == data["by_status"]
    assert (data["key_figures"]["forms_issued"], data["key_figures"]["return_rate"]) == (6, 0.5)
    assert data["total"] == {
        "manager": "Total",
        "manager_matricule": None,
        "employees": 6,
        "issued": 6,
        "returned": 3,
        "paper": 1,
        "to_key": 0,
        "missing": 3,
        "rejected": 3,
        "return_rate": 0.5,
    }
    assert data["managers"][-1]["return_rate"] is None
    assert [(d["matricule"], d["kind"]) for d in data["deadlines"]] == [
        ("5", "entretien_professionnel"),
        ("4", "entretien_professionnel"),
        ("1", "entretien_professionnel"),
    ]
    assert data["deadlines_total"] == 14
    leah = data["deadlines"][1]
    keys = ("kind", "kind_label", "due", "occasion", "status", "status_label", "days_late")
    assert {k: leah[k] for k in (*keys, "to_check")} == {
        "kind": "entretien_professionnel",
        "kind_label": "entretien professionnel",
        "due": "2026-10-01",
        "occasion": "retour_conge",
        "status": "en_retard",
        "status_label": "en retard",
        "days_late": 56,
        "to_check": None,
    }
    claire = data["deadlines"][2]
    assert (claire["due"], claire["status"], claire["days_late"]) == ("2016-03-07", "a_verifier", 0)
    assert claire["to_check"].startswith("historique des entretiens avant le 01/09/2026 inconnu")
    assert data["by_status"]["a_verifier"] == 1
    assert data["reviews"][0]["topup_to_check"].startswith("les entretiens dus ont été tenus")
    assert data["reviews"][2]["due"] == "2027-10-31"
    assert data["reviews"][2]["situation_label"] == "à venir"


# --- The terminal table ---------------------------------------------------------------------


def test_terminal_page_in_french(store: Store) -> None:
    lines = render_status(_status(store, limit=2), workbook="outbox/suivi-entretiens.xlsx")
    text = "\n".join(lines)

    assert lines[0] == (
        "Campagne 2026 au 26/11/2026 : 7 salariés — 2 en retard, 1 à vérifier, 1 à planifier, "
        "3 à jour"
    )
    assert lines[3].split() == ["Responsable", "Émis", "Retournés", "Manquants", "Rejetés", "%"]
    assert lines[5].split() == ["Claire", "Martin", "3", "2", "1", "0", "67", "%"]
    assert lines[8].split() == ["Fichiers", "non", "attribués", "0", "0", "0", "1", "—"]
    assert lines[10].split() == ["Total", "6", "3", "3", "3", "50", "%"]
    assert "Prochaines échéances (2 sur 14)" in lines
    header = next(line for line in lines if line.startswith("Salarié"))
    assert header.split() == ["Salarié", "Responsable", "Échéance", "Entretien", "Statut", "Motif"]
    first = lines.index("Prochaines échéances (2 sur 14)") + 3
    assert lines[first].startswith(
        "Marc Noël  Thomas Dubois  01/04/2025  périodique       en retard (604 j)"
    )
    assert lines[first + 1].startswith("Léa Roy ")
    assert lines[first + 2].startswith("… et 12 autres")  # Claire's rows are beyond the limit
    assert (
        "… et 12 autres échéances dans outbox/suivi-entretiens.xlsx (« entretien report ») ; "
        "--limit 0 pour tout afficher ici."
    ) in lines
    title = "États des lieux en retard, à vérifier ou à tenir dans les 12 mois (2 sur 3)"
    assert title in lines
    assert "… et 1 autre état des lieux dans outbox/suivi-entretiens.xlsx" in text
    reviews = lines[lines.index(title) :]
    assert reviews[1].split()[:7] == [
        *("Salarié", "Responsable", "Échéance", "N°", "Situation", "Abondement", "Motif")
    ]
    # Never late nor owed on a presumption: the history before the first import is unknown.
    assert reviews[3].startswith(
        "Claire Martin  Sans responsable  30/06/2021   1  à vérifier  à vérifier  embauché le"
    )
    assert all(len(line) <= LINE_WIDTH for line in lines)


def test_long_and_hostile_texts_are_cut_and_neutralised() -> None:
    reason = "embauché le 17/07/2017 sans entretien : " + "très long motif " * 20
    deadline = Deadline(
        matricule="9",
        name="Eve\x1b[2J\nMallory",
        manager="Une responsable au nom vraiment très, très long",
        kind="entretien_professionnel",
        due=date(2026, 1, 5),
        occasion="periodique",
        interview="entretien professionnel périodique",
        reason=reason,
        rule="EPP-2",
        status="en_retard",
        days_late=325,
    )
    status = CampaignStatus(
        campaign="2026",
        today=TODAY,
        employees=1,
        by_status={
            "en_retard": 1,
            "a_verifier": 0,
            "a_planifier": 0,
            "a_jour": 0,
            "sorti": 0,
            "non_concerne": 0,
        },
        managers=(),
        total=ManagerProgress("Total", 0, 0, 0, 0, 0, 0),
        deadlines=(deadline,),
        deadlines_total=1,
        reviews=(),
        reviews_total=0,
        figures=KeyFigures(TODAY, "2026", 1, {"en_retard": 1}, *(0,) * 9, 0.0, *(0,) * 7),
    )

    lines = render_status(status, workbook="outbox/suivi-entretiens.xlsx")

    row = next(line for line in lines if line.startswith("Eve"))
    assert row.startswith("Eve [2J Mallory  ")
    assert "  Une responsable a…  " in row
    assert "périodique  en retard (325 j)  embauché le 17/07/2017" in row
    assert row.endswith("…") and len(row) == LINE_WIDTH
    assert not any("\x1b" in line for line in lines)
    assert "  Aucun formulaire émis pour cette campagne" in "\n".join(lines)
    assert "  Aucun état des lieux à tenir dans les 12 mois." in lines


# --- The command ----------------------------------------------------------------------------


@pytest.fixture
def workspace_root(tmp_path: Path, write_csv: Callable[..., Path]) -> Path:
    """A workspace holding the company above, with its absences sheet at the root."""
    root = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    (root / "absences.csv").write_text(ABSENCES_CSV, encoding="utf-8")
    with Store.open(open_workspace(root).database_path) as opened:
        populate(opened, write_csv("salaries.csv", ROSTER))
    return root


def test_command_prints_the_tables(workspace_root: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["-w", str(workspace_root), "status", "--campaign", CAMPAIGN, "--limit", "2"],
        catch_exceptions=False,
    )

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"Campagne 2026 au {date.today():%d/%m/%Y} : 7 salariés — ")
    assert "Formulaires de la campagne « 2026 » par responsable" in lines
    assert lines[10].split() == ["Total", "6", "3", "3", "3", "50", "%"]
    assert "Prochaines échéances (2 sur 14)" in lines
    assert "… et 12 autres échéances dans outbox/suivi-entretiens.xlsx" in result.stdout
    assert all(len(line) <= LINE_WIDTH for line in lines)
    assert lines[-1] == (
        "Abondement correctif non calculé : effectif sous le seuil ou non renseigné "
        "(entretien.toml, [entreprise] effectif)."
    )  # a new workspace's headcount is 0
    assert result.stderr == ""


def test_json_holds_the_library_figures(workspace_root: Path) -> None:
    today = date.today()  # the command's own clock
    result = CliRunner().invoke(
        cli, ["-w", str(workspace_root), "status", "--campaign", CAMPAIGN, "--json"]
    )

    assert result.exit_code == 0, result.output
    workspace = open_workspace(workspace_root)
    with Store.open(workspace.database_path) as opened:
        expected = campaign_status(
            opened, workspace.settings, campaign=CAMPAIGN, today=today, absences=ABSENCES
        )
    assert json.loads(result.stdout) == expected.as_dict()
    assert json.loads(result.stdout)["total"]["issued"] == 6


def test_campaign_defaults_to_the_current_year(workspace_root: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(workspace_root), "status", "--json"])

    assert json.loads(result.stdout)["campaign"] == str(date.today().year)


def test_problems_of_the_hr_sheets_are_mentioned_on_stderr(workspace_root: Path) -> None:
    (workspace_root / "absences.csv").write_text(
        ABSENCES_CSV + "5;Congé maternité;31/02/2026;01/03/2026\n", encoding="utf-8"
    )

    result = CliRunner().invoke(cli, ["-w", str(workspace_root), "status", "--json"])

    assert result.exit_code == 0
    json.loads(result.stdout)  # still parseable
    assert result.stderr == (
        "Remarque : absences.csv : 1 ligne en erreur ignorée, 0 avertissement "
        "(détail : « entretien report »).\n"
    )


def test_without_a_roster_says_to_import_one(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0

    result = runner.invoke(cli, ["-w", str(root), "status"])
    as_json = runner.invoke(cli, ["-w", str(root), "status", "--json"])

    assert result.exit_code == 1 and as_json.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Erreur : aucune liste des salariés n'a encore été importée dans cet espace de "
        "travail. Importez-la d'abord : « entretien roster import FICHIER ».\n"
    )
    assert "Traceback" not in result.output
    assert json.loads(as_json.stdout) == {"error": result.stderr[len("Erreur : ") : -1]}


def test_a_roster_with_nobody_still_employed_says_to_import_a_newer_one(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    roster = tmp_path / "anciens.csv"
    roster.write_text(
        "Matricule;Nom;Prénom;Date d'entrée;Poste;Date de sortie\n"
        "1;Martin;Claire;01/02/2012;Directrice;30/06/2020\n",
        encoding="utf-8",
    )
    runner.invoke(cli, ["-w", str(root), "roster", "import", str(roster)])

    result = runner.invoke(cli, ["-w", str(root), "status"])

    assert result.exit_code == 1
    assert result.stderr == (
        "Erreur : la dernière liste des salariés importée ne compte aucun salarié actif. "
        "Importez une liste à jour : « entretien roster import FICHIER ».\n"
    )


# --- Two managers of the same name ----------------------------------------------------------

# Two « Martin Dupont », each with a team: S1 under M010, S2 and S3 under M020; S2 returned.
NAMESAKES = [
    ["Matricule", "Nom", "Prénom", "Date d'entrée", "Poste", "Responsable"],
    ["M010", "Dupont", "Martin", "01/02/2010", "Chef d'atelier", ""],
    ["M020", "Dupont", "Martin", "01/03/2012", "Chef de quai", ""],
    ["S1", "Roy", "Léa", "01/09/2020", "Soudeuse", "M010"],
    ["S2", "Noël", "Marc", "01/09/2021", "Magasinier", "M020"],
    ["S3", "Faure", "Inès", "01/09/2022", "Cariste", "M020"],
]


@pytest.fixture
def namesakes_root(tmp_path: Path, write_csv: Callable[..., Path]) -> Path:
    """A workspace holding the two teams above, one form each, S2's returned."""
    root = tmp_path / "homonymes"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    roster = read_roster(write_csv("homonymes.csv", NAMESAKES), today=TODAY)
    with Store.open(open_workspace(root).database_path) as opened:
        opened.import_roster(roster, sha256="x", now=datetime(2026, 9, 1))
        forms = [_issued(n, m, "professionnel") for n, m in enumerate(["S1", "S2", "S3"], 1)]
        opened.record_issued(forms)
        opened.record_submission(_submission(forms[1], "a"), [], now=datetime(2026, 11, 10, 8))
    return root


def test_namesake_managers_are_two_rows_named_with_their_matricule(namesakes_root: Path) -> None:
    with Store.open(open_workspace(namesakes_root).database_path) as opened:
        status = campaign_status(opened, SETTINGS, campaign=CAMPAIGN, today=TODAY, limit=None)

    figures = {"paper": 0, "missing": 1, "rejected": 0}
    assert status.managers == (
        ManagerProgress("Martin Dupont (M010)", 1, 1, 0, **figures, manager_matricule="M010"),
        ManagerProgress("Martin Dupont (M020)", 2, 2, 1, **figures, manager_matricule="M020"),
    )
    assert {d.matricule: d.manager for d in status.deadlines} == {
        "M010": "Sans responsable",
        "M020": "Sans responsable",
        "S1": "Martin Dupont (M010)",
        "S2": "Martin Dupont (M020)",
        "S3": "Martin Dupont (M020)",
    }


def test_namesake_managers_are_two_rows_of_the_campaign_sheet(
    namesakes_root: Path, tmp_path: Path
) -> None:
    with Store.open(open_workspace(namesakes_root).database_path) as opened:
        path = write_compliance_workbook(tmp_path, opened, SETTINGS, campaign=CAMPAIGN, today=TODAY)
    workbook = openpyxl.load_workbook(path)

    rows = list(workbook["Campagne"].iter_rows(min_row=2, values_only=True))
    assert rows[:4] == [
        ("Martin Dupont (M010)", 1, 1, 0, 0, 0, 1, 0, 0),
        ("Martin Dupont (M020)", 2, 2, 1, 0, 0, 1, 0, 0.5),
        (None,) * 9,
        ("Total — campagne « 2026 »", 3, 3, 1, 0, 0, 2, 0, pytest.approx(1 / 3)),
    ]
    employees = {str(r["Matricule"]): r["Responsable"] for r in _rows(workbook["Salariés"])}
    assert employees == {
        "M010": "Sans responsable",
        "M020": "Sans responsable",
        "S1": "Martin Dupont (M010)",
        "S2": "Martin Dupont (M020)",
        "S3": "Martin Dupont (M020)",
    }


def test_command_shows_namesake_managers_apart(namesakes_root: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["-w", str(namesakes_root), "status", "--campaign", CAMPAIGN])
    as_json = runner.invoke(
        cli, ["-w", str(namesakes_root), "status", "--campaign", CAMPAIGN, "--json"]
    )

    assert text.exit_code == 0 and as_json.exit_code == 0, text.output + as_json.output
    lines = text.stdout.splitlines()
    assert lines[5].split() == ["Martin", "Dupont", "(M010)", "1", "0", "1", "0", "0", "%"]
    assert lines[6].split() == ["Martin", "Dupont", "(M020)", "2", "1", "1", "0", "50", "%"]
    assert lines[8].split() == ["Total", "3", "1", "2", "0", "33", "%"]
    managers = json.loads(as_json.stdout)["managers"]
    assert [(m["manager"], m["manager_matricule"], m["employees"]) for m in managers] == [
        ("Martin Dupont (M010)", "M010", 1),
        ("Martin Dupont (M020)", "M020", 2),
    ]


def test_date_option_computes_as_of_that_day(workspace_root: Path) -> None:
    """Who will be late on 31/12/2027, if nothing is done."""
    result = CliRunner().invoke(
        cli,
        ["-w", str(workspace_root), "status", "--campaign", CAMPAIGN, "--date", "31/12/2027"],
    )
    as_json = CliRunner().invoke(
        cli,
        ["-w", str(workspace_root), "status", "--json", "--date", "31/12/2027", "--limit", "0"],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Campagne 2026 au 31/12/2027 : 7 salariés — ")
    data = json.loads(as_json.stdout)
    assert data["today"] == "2027-12-31"
    interviews = {
        d["matricule"]: (d["due"], d["status"], d["days_late"])
        for d in data["deadlines"]
        if d["kind"] == "entretien_professionnel"
    }
    # Léa's return interview: known facts only, late by then.
    assert interviews["4"] == ("2026-10-01", "en_retard", 456)
    # Zoé's first interview (due 15/01/2027) could have been held before the tool's first
    # import (01/09/2026): to check, not late.
    assert interviews["3"] == ("2027-01-15", "a_verifier", 0)
