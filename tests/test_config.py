from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from entretien_forms.config import Settings, load_settings, settings_from_mapping
from entretien_forms.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "entretien.toml") == Settings()


def test_commented_template_states_exactly_the_defaults() -> None:
    text = (resources.files("entretien_forms") / "workspace_files" / "entretien.toml").read_text()
    assert settings_from_mapping(tomllib.loads(text)) == Settings()


def test_repository_root_is_a_workspace_with_the_template() -> None:
    template = resources.files("entretien_forms") / "workspace_files" / "entretien.toml"
    assert (ROOT / "entretien.toml").read_text() == template.read_text()


def test_every_key_of_the_template_is_documented() -> None:
    text = (resources.files("entretien_forms") / "workspace_files" / "entretien.toml").read_text()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#"):
            # each key follows a comment line (possibly after other keys of the same comment)
            before = [x for x in lines[:i] if x.strip()]
            assert before and (before[-1].startswith("#") or "=" in before[-1]), line


def test_values_override_defaults(tmp_path: Path) -> None:
    path = tmp_path / "entretien.toml"
    path.write_text(
        '[entreprise]\nnom = "Acme"\neffectif = 72\n[regles]\nregime = "avant-2025"\n'
        '[grilles]\nvente = ["Commercial", " Vendeur "]\n',
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.company.name == "Acme"
    assert settings.company.headcount == 72
    assert settings.legal.regime == "avant-2025"
    assert settings.legal.period_years == 4
    assert settings.job_grids == (("vente", ("commercial", "vendeur")),)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[entreprise]\neffectif = "beaucoup"\n',
            "entretien.toml, [entreprise] effectif : nombre entier positif attendu, trouvé « beaucoup ».",
        ),
        (
            "[entreprise]\neffectif = -3\n",
            "entretien.toml, [entreprise] effectif : nombre entier positif attendu, trouvé « -3 ».",
        ),
        (
            '[regles]\nregime = "2030"\n',
            "entretien.toml, [regles] regime : valeur « 2030 » inconnue (valeurs possibles : "
            "« 2025 », « avant-2025 »).",
        ),
        (
            "[regles]\nperiode_accord_annees = 6\n",
            "entretien.toml, [regles] periode_accord_annees : un accord ne peut fixer une période "
            "plus longue que 4 ans (L6315-1 III). Mettez 0 s'il n'y a pas d'accord.",
        ),
        (
            "[entreprise]\nefectif = 3\n",
            "entretien.toml : clé « efectif » de [entreprise] inconnue. Vouliez-vous dire "
            "« effectif » ? Vérifiez l'orthographe (voir le modèle commenté).",
        ),
        (
            "[regle]\n",
            "entretien.toml : section [regle] inconnue. Vouliez-vous dire « regles » ? "
            "Vérifiez l'orthographe (voir le modèle commenté).",
        ),
        (
            '[regles]\nbilan_vae_compte_comme_formation = "oui"\n',
            "entretien.toml, [regles] bilan_vae_compte_comme_formation : true ou false attendu, "
            "trouvé « oui ».",
        ),
        (
            '[grilles]\ncommercial = "vente"\n',
            "entretien.toml, [grilles] commercial : liste de mots-clés attendue, par exemple "
            '["commercial", "vente"].',
        ),
    ],
)
def test_invalid_values_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "entretien.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == message


def test_syntax_error_says_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "entretien.toml"
    path.write_text("[entreprise\nnom = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="syntaxe incorrecte .* relancez « entretien init »"):
        load_settings(path)


def test_non_utf8_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "entretien.toml"
    path.write_bytes('[entreprise]\nnom = "Société"\n'.encode("cp1252"))
    with pytest.raises(ConfigError, match="pas en UTF-8"):
        load_settings(path)


def test_training_themes_and_engagement_delay_are_read_in_order() -> None:
    settings = settings_from_mapping(
        {
            "rapports": {"delai_engagement_jours": 30},
            "themes_formation": {"Vente": ["Négociation ", "closing"], "Digital": ["seo"]},
        }
    )
    assert settings.reports.engagement_days == 30
    assert settings.training_themes == (
        ("Vente", ("négociation", "closing")),
        ("Digital", ("seo",)),
    )


def test_themes_must_be_keyword_lists() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"themes_formation": {"Vente": "négociation"}})
    assert str(caught.value) == (
        "entretien.toml, [themes_formation] Vente : liste de mots-clés attendue, par exemple "
        '["commercial", "vente"].'
    )


def test_campaign_horizon_defaults_to_twelve_months_and_is_read() -> None:
    assert Settings().campaign.horizon_months == 12
    settings = settings_from_mapping({"campagne": {"horizon_mois": 6}})
    assert settings.campaign.horizon_months == 6


def test_campaign_horizon_must_be_a_whole_number() -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping({"campagne": {"horizon_mois": "un an"}})
    assert str(caught.value) == (
        "entretien.toml, [campagne] horizon_mois : nombre entier positif attendu, trouvé « un an »."
    )
