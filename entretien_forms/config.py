"""Settings of a workspace, read once from ``entretien.toml``.

The file is written in French for HR (section and key names included); this
module maps it onto frozen dataclasses with English attribute names, checks
every value, and is the only place that knows the defaults. The legal
defaults follow ``shared/legal-rules.md``; every number there is a setting
here so that a lawyer can change it without touching code.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entretien_forms.errors import ConfigError

CONFIG_FILE_NAME = "entretien.toml"


def _key(name: str) -> dict[str, str]:
    return {"toml": name}


@dataclass(frozen=True)
class CompanySettings:
    name: str = field(default="Mon entreprise", metadata=_key("nom"))
    headcount: int = field(default=0, metadata=_key("effectif"))


@dataclass(frozen=True)
class LegalSettings:
    regime: str = field(default="2025", metadata=_key("regime"))
    first_interview_months: int = field(default=12, metadata=_key("premier_entretien_mois"))
    period_years: int = field(default=4, metadata=_key("periode_entretien_pro_annees"))
    agreement_period_years: int = field(default=0, metadata=_key("periode_accord_annees"))
    review_period_years: int = field(default=8, metadata=_key("periode_etat_des_lieux_annees"))
    return_exemption_months: int = field(default=12, metadata=_key("exemption_retour_mois"))
    long_sick_leave_months: int = field(default=6, metadata=_key("arret_maladie_long_mois"))
    midcareer_age: int = field(default=45, metadata=_key("age_mi_carriere"))
    midcareer_delay_months: int = field(default=2, metadata=_key("delai_mi_carriere_mois"))
    end_of_career_age: int = field(default=60, metadata=_key("age_fin_carriere"))
    topup_threshold: int = field(default=50, metadata=_key("seuil_abondement"))
    topup_amount: int = field(default=3000, metadata=_key("montant_abondement"))
    topup_trigger: str = field(default="et", metadata=_key("declenchement_abondement"))
    assessment_counts_as_training: bool = field(
        default=False, metadata=_key("bilan_vae_compte_comme_formation")
    )
    warning_days: int = field(default=90, metadata=_key("alerte_jours"))


@dataclass(frozen=True)
class RosterSettings:
    future_hire_tolerance_days: int = field(
        default=60, metadata=_key("tolerance_embauche_future_jours")
    )
    max_file_mb: int = field(default=50, metadata=_key("taille_max_mo"))


@dataclass(frozen=True)
class InboxSettings:
    # A scanned team stack (48 pages in colour) weighs 10 to 30 MB; a campaign scanned
    # in one pass, more. Memory stays bounded: a scan is read one page at a time.
    max_file_mb: int = field(default=100, metadata=_key("taille_max_mo"))
    polling: bool = field(default=False, metadata=_key("scrutation"))
    poll_interval_s: int = field(default=2, metadata=_key("intervalle_scrutation_s"))


@dataclass(frozen=True)
class CampaignSettings:
    """Who a campaign issues professional interviews and états des lieux to.

    Only the employees whose interview falls due within ``horizon_months`` of
    the campaign's start get one: a form nobody has to hold would stay
    "missing" in the follow-up and hide the ones that matter. ``name`` is the
    current campaign when HR names it ("Automne 2026"); empty, ``campaign.py``
    decides (the latest issued, else the year).
    """

    horizon_months: int = field(default=12, metadata=_key("horizon_mois"))
    name: str = field(default="", metadata=_key("nom"))


@dataclass(frozen=True)
class ReportSettings:
    engagement_days: int = field(default=60, metadata=_key("delai_engagement_jours"))


@dataclass(frozen=True)
class MailCollectSettings:
    """``[courriel.collecte]``: the mailbox managers reply to (IMAP)."""

    host: str = field(default="", metadata=_key("serveur"))  # empty: no collecting
    port: int = field(default=993, metadata=_key("port"))
    security: str = field(default="ssl", metadata=_key("securite"))
    user: str = field(default="", metadata=_key("utilisateur"))
    folder: str = field(default="INBOX", metadata=_key("dossier"))
    done_folder: str = field(default="Traités", metadata=_key("dossier_traites"))
    poll_seconds: int = field(default=120, metadata=_key("intervalle_s"))
    # Senders allowed besides the roster's e-mails: "@exemple.fr" or whole addresses.
    allowed_senders: tuple[str, ...] = field(default=(), metadata=_key("expediteurs_autorises"))
    max_message_mb: int = field(default=40, metadata=_key("taille_max_message_mo"))
    max_attachments: int = field(default=20, metadata=_key("pieces_jointes_max"))


@dataclass(frozen=True)
class MailSettings:
    """``[courriel]``: sending forms and reminders (SMTP), and acknowledging returns."""

    host: str = field(default="", metadata=_key("serveur"))  # empty: no e-mail at all
    port: int = field(default=587, metadata=_key("port"))
    security: str = field(default="starttls", metadata=_key("securite"))
    user: str = field(default="", metadata=_key("utilisateur"))
    sender: str = field(default="", metadata=_key("expediteur"))
    sender_name: str = field(default="Service RH", metadata=_key("nom_expediteur"))
    reply_to: str = field(default="", metadata=_key("repondre_a"))
    # The password is never in this file: this environment variable, else the keyring.
    password_variable: str = field(
        default="ENTRETIEN_COURRIEL_MOT_DE_PASSE", metadata=_key("variable_mot_de_passe")
    )
    max_attachments_mb: int = field(default=15, metadata=_key("pieces_jointes_max_mo"))
    acknowledge: bool = field(default=True, metadata=_key("accuse_reception"))
    reminder_days_before: int = field(default=7, metadata=_key("relance_jours_avant"))
    reminder_every_days: int = field(default=7, metadata=_key("relance_tous_les_jours"))
    deadline: str = field(default="", metadata=_key("date_limite"))  # jj/mm/aaaa
    collect: MailCollectSettings = field(
        default_factory=MailCollectSettings, metadata=_key("collecte")
    )


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about the workspace's choices."""

    company: CompanySettings = field(default_factory=CompanySettings)
    legal: LegalSettings = field(default_factory=LegalSettings)
    roster: RosterSettings = field(default_factory=RosterSettings)
    inbox: InboxSettings = field(default_factory=InboxSettings)
    reports: ReportSettings = field(default_factory=ReportSettings)
    campaign: CampaignSettings = field(default_factory=CampaignSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    # The company's taxonomy of training themes (group, keywords); empty: the built-in one.
    training_themes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Job title keywords per skills grid, in the order they are tried.
    job_grids: tuple[tuple[str, tuple[str, ...]], ...] = (
        (
            "commercial",
            (
                "commercial",
                "vente",
                "vendeu",
                "business developer",
                "account",
                "sdr",
                "bdr",
                "affaires",
                "grands comptes",
            ),
        ),
        (
            "marketing",
            ("marketing", "communication", "seo", "growth", "contenu", "content", "community"),
        ),
    )


# TOML section name → (attribute of Settings, dataclass of that section)
_SECTIONS: dict[str, tuple[str, type[Any]]] = {
    "entreprise": ("company", CompanySettings),
    "regles": ("legal", LegalSettings),
    "lecture": ("roster", RosterSettings),
    "retours": ("inbox", InboxSettings),
    "rapports": ("reports", ReportSettings),
    "campagne": ("campaign", CampaignSettings),
    "courriel": ("mail", MailSettings),
}
_GRIDS_SECTION = "grilles"
_THEMES_SECTION = "themes_formation"
_CHOICES: dict[str, tuple[str, ...]] = {
    "regime": ("2025", "avant-2025"),
    "declenchement_abondement": ("et", "ou"),
    "securite": ("starttls", "ssl", "aucune"),
}


def load_settings(path: Path) -> Settings:
    """Read and check ``entretien.toml``; a missing file gives the defaults."""
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name} : le fichier n'est pas en UTF-8 ({exc.reason}). "
            "Enregistrez-le en UTF-8 depuis votre éditeur de texte."
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path.name} : syntaxe incorrecte ({exc}). Corrigez la ligne indiquée "
            "ou supprimez le fichier et relancez « entretien init »."
        ) from exc
    return settings_from_mapping(data, source=path.name)


def settings_from_mapping(data: dict[str, Any], *, source: str = CONFIG_FILE_NAME) -> Settings:
    """Build settings from already parsed TOML, naming the faulty key on error."""
    known = [*_SECTIONS, _GRIDS_SECTION, _THEMES_SECTION]
    sections: dict[str, Any] = {}
    grids = Settings().job_grids
    themes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    for section, content in data.items():
        if section == _GRIDS_SECTION:
            grids = _parse_keywords(content, source, section)
            continue
        if section == _THEMES_SECTION:
            themes = _parse_keywords(content, source, section)
            continue
        if section not in _SECTIONS:
            raise ConfigError(_unknown(source, f"section [{section}]", section, known))
        if not isinstance(content, dict):
            raise ConfigError(f"{source} : [{section}] doit être une section, pas une valeur.")
        attr, cls = _SECTIONS[section]
        sections[attr] = _parse_section(cls, section, content, source)
    return Settings(**sections, job_grids=grids, training_themes=themes)


def _parse_section(cls: type[Any], section: str, content: dict[str, Any], source: str) -> Any:
    fields_by_key = {f.metadata["toml"]: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in content.items():
        if key not in fields_by_key:
            raise ConfigError(_unknown(source, f"clé « {key} » de [{section}]", key, fields_by_key))
        f = fields_by_key[key]
        where = f"{source}, [{section}] {key}"
        expected = f.type if isinstance(f.type, str) else f.type.__name__
        if expected == "MailCollectSettings":  # a sub-section: [courriel.collecte]
            if not isinstance(value, dict):
                raise ConfigError(f"{where} : [{section}.{key}] doit être une section.")
            values[f.name] = _parse_section(MailCollectSettings, f"{section}.{key}", value, source)
            continue
        if expected == "tuple[str, ...]":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(
                    f'{where} : liste de textes attendue, par exemple ["@exemple.fr"].'
                )
            values[f.name] = tuple(v.strip() for v in value if v.strip())
            continue
        if expected == "bool":
            if not isinstance(value, bool):
                raise ConfigError(f"{where} : true ou false attendu, trouvé « {value} ».")
        elif expected == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{where} : nombre entier positif attendu, trouvé « {value} ».")
        elif not isinstance(value, str):
            raise ConfigError(f"{where} : texte entre guillemets attendu, trouvé « {value} ».")
        if key in _CHOICES and value not in _CHOICES[key]:
            allowed = ", ".join(f"« {c} »" for c in _CHOICES[key])
            raise ConfigError(
                f"{where} : valeur « {value} » inconnue (valeurs possibles : {allowed})."
            )
        values[f.name] = value
    result = cls(**values)
    if cls is LegalSettings and result.agreement_period_years > result.period_years:
        raise ConfigError(
            f"{source}, [{section}] periode_accord_annees : un accord ne peut fixer une période "
            f"plus longue que {result.period_years} ans (L6315-1 III). "
            "Mettez 0 s'il n'y a pas d'accord."
        )
    return result


def _parse_keywords(
    content: Any, source: str, section: str
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A section of ``name = ["keyword", ...]`` lines, in the file's order."""
    if not isinstance(content, dict):
        raise ConfigError(f"{source} : [{section}] doit être une section.")
    grids = []
    for grid, keywords in content.items():
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ConfigError(
                f"{source}, [{section}] {grid} : liste de mots-clés attendue, "
                'par exemple ["commercial", "vente"].'
            )
        grids.append((grid, tuple(k.strip().lower() for k in keywords if k.strip())))
    return tuple(grids)


def _unknown(source: str, what: str, name: str, candidates: Any) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
    return f"{source} : {what} inconnue.{hint} Vérifiez l'orthographe (voir le modèle commenté)."
