"""validate_answers: raw answers become typed ones, problems become warnings."""

from __future__ import annotations

import pytest
from factories import TODAY

from entretien_forms.forms.model import Field, FormLayout, Section
from entretien_forms.inbox.model import RawAnswer
from entretien_forms.inbox.validate import validate_answers
from entretien_forms.store import StoredAnswer

LAYOUT = FormLayout(
    form_id="test",
    title="Test",
    kind="annuel",
    version="1",
    grid=None,
    privacy_notice="",
    sections=(
        Section(
            "Tout",
            None,
            (
                Field("nom", "Nom", "text", required=True),
                Field("bilan", "Bilan", "longtext"),
                Field("date", "Date de l'entretien", "date", required=True),
                Field("ca", "Chiffre d'affaires", "number"),
                Field("mode", "Modalité", "choice", options=("Présentiel", "Visio")),
                Field(
                    "niveau",
                    "Niveau",
                    "rating",
                    scale=(1, 2, 3, 4),
                    scale_labels=("Insuffisant", "À développer", "Maîtrisé", "Expert"),
                ),
                Field("cpf", "Informé du CPF", "checkbox"),
                Field("souhaits", "Souhaits", "multichoice", options=("Formation", "Mobilité")),
            ),
        ),
    ),
)


def raw(**values: str | bool) -> dict[str, RawAnswer]:
    return {key.replace("__", "#"): RawAnswer(v, "control") for key, v in values.items()}


def test_every_type_is_converted() -> None:
    result = validate_answers(
        LAYOUT,
        {
            **raw(nom=" Léa Roy ", bilan="Ligne 1\nLigne 2", date="3/2/26", ca="12 500,50 €"),
            **raw(mode="visio", niveau="3 – Maîtrisé", cpf=True),
            "souhaits#2": RawAnswer("☒", "typed_mark"),
            "souhaits#1": RawAnswer(False, "control"),
        },
        today=TODAY,
    )

    assert result.warnings == []
    assert result.answers == [
        StoredAnswer("nom", "Léa Roy", "control"),
        StoredAnswer("bilan", "Ligne 1\nLigne 2", "control"),
        StoredAnswer("date", "2026-02-03", "control"),
        StoredAnswer("ca", 12500.5, "control"),
        StoredAnswer("mode", "Visio", "control"),
        StoredAnswer("niveau", 3, "control"),
        StoredAnswer("cpf", True, "control"),
        StoredAnswer("souhaits", ["Mobilité"], "typed_mark"),
    ]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("niveau", "2", 2),
        ("niveau", "Expert", 4),
        ("ca", "-3", -3),
        ("ca", "42", 42),
        ("date", "14 mars 2021", "2021-03-14"),
        ("date", "2021-03-14", "2021-03-14"),
        ("cpf", "X", True),
    ],
)
def test_accepted_spellings(field: str, value: str, expected: object) -> None:
    result = validate_answers(
        LAYOUT, {"nom": RawAnswer("A", "control"), "date": RawAnswer("1/1/26", "control"),
                 field: RawAnswer(value, "control")}, today=TODAY
    )  # fmt: skip
    assert {a.field_id: a.value for a in result.answers}[field] == expected


@pytest.mark.parametrize(
    ("field", "value", "warning"),
    [
        (
            "niveau",
            "7",
            "« Niveau » (niveau) : valeur non reconnue « 7 » (niveau attendu parmi 1, 2, 3, 4) ;"
            " à corriger dans le dossier du salarié.",
        ),
        (
            "date",
            "31/02/2026",
            "« Date de l'entretien » (date) : valeur non reconnue « 31/02/2026 » (date attendue,"
            " jj/mm/aaaa) ; à corriger dans le dossier du salarié.",
        ),
        (
            "mode",
            "Téléphone",
            "« Modalité » (mode) : valeur non reconnue « Téléphone » (choix possibles : "
            "Présentiel, Visio) ; à corriger dans le dossier du salarié.",
        ),
        (
            "ca",
            "beaucoup",
            "« Chiffre d'affaires » (ca) : valeur non reconnue « beaucoup » (nombre attendu) ;"
            " à corriger dans le dossier du salarié.",
        ),
    ],
)
def test_unreadable_values_are_warnings_not_answers(field: str, value: str, warning: str) -> None:
    result = validate_answers(
        LAYOUT,
        {"nom": RawAnswer("A", "control"), "date": RawAnswer("1/1/26", "control"),
         field: RawAnswer(value, "control")},
        today=TODAY,
    )  # fmt: skip
    assert warning in result.warnings
    assert field not in {a.field_id for a in result.answers}


def test_missing_required_answers_are_warnings() -> None:
    result = validate_answers(LAYOUT, {"nom": RawAnswer("   ", "control")}, today=TODAY)

    assert result.answers == []
    assert result.warnings == [
        "« Nom » (nom) : réponse obligatoire absente.",
        "« Date de l'entretien » (date) : réponse obligatoire absente.",
    ]


def test_unticked_boxes_are_not_answers() -> None:
    result = validate_answers(
        LAYOUT, {"cpf": RawAnswer(False, "control"), "nom": RawAnswer("A", "control"),
                 "date": RawAnswer("1/1/26", "control")}, today=TODAY
    )  # fmt: skip
    assert [a.field_id for a in result.answers] == ["nom", "date"]


def test_keys_of_other_forms_are_ignored() -> None:
    result = validate_answers(
        LAYOUT, {"inconnu": RawAnswer("x", "control"), "nom": RawAnswer("A", "control"),
                 "date": RawAnswer("1/1/26", "control")}, today=TODAY
    )  # fmt: skip
    assert [a.field_id for a in result.answers] == ["nom", "date"]
