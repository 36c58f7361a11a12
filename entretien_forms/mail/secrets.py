"""The mail password: from an environment variable, else the system keyring.

The password is never in ``entretien.toml`` and never logged or printed: it
goes from here to ``smtplib``/``imaplib`` only. The environment variable
suits a server or a scheduled task; the keyring (Windows Credential Manager,
macOS Keychain, the Secret Service on Linux) suits HR's own computer. The
``keyring`` package is optional: without it, only the variable works, and the
messages say so.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType

from entretien_forms.errors import MailError

# The keyring entry is named after the tool and the server: one per mail account.
KEYRING_SERVICE = "entretien-forms"


def keyring_service(host: str) -> str:
    """The keyring "service" an account's password is stored under."""
    return f"{KEYRING_SERVICE} {host.strip().lower()}"


def mail_password(*, host: str, user: str, variable: str, environ: Mapping[str, str]) -> str | None:
    """The password of ``user`` on ``host``; None when no login is set (``user`` empty).

    ``environ`` is the process environment, passed in by the caller (the CLI,
    the watcher): this module reads no global state.
    """
    if not user:
        return None
    from_environment = environ.get(variable, "") if variable else ""
    if from_environment:
        return from_environment
    module = _keyring()
    found: str | None = None
    if module is not None:
        try:
            found = module.get_password(keyring_service(host), user)
        except Exception as exc:  # every backend raises its own errors
            raise MailError(
                f"Le trousseau du système n'a pas pu être lu ({type(exc).__name__}). "
                f"Définissez plutôt la variable d'environnement {variable}."
            ) from None
    if found:
        return found
    how = (
        f"enregistrez-le avec « entretien courriel mot-de-passe » ou définissez la variable "
        f"d'environnement {variable}"
        if module is not None
        else f"définissez la variable d'environnement {variable} (le module « keyring », qui "
        "garde le mot de passe dans le trousseau du système, n'est pas installé : "
        "« pip install keyring » pour l'utiliser)"
    )
    raise MailError(f"Aucun mot de passe pour le compte {user} sur {host} : {how}.")


def store_password(*, host: str, user: str, password: str) -> None:
    """Keep the password of ``user`` on ``host`` in the system keyring."""
    if not host or not user:
        raise MailError(
            "Renseignez d'abord le serveur et l'utilisateur dans la section [courriel] (ou "
            "[courriel.collecte]) d'entretien.toml : le mot de passe est rangé sous ce compte."
        )
    if not password:
        raise MailError("Mot de passe vide : rien n'a été enregistré.")
    module = _keyring()
    if module is None:
        raise MailError(
            "Le module « keyring » n'est pas installé : le mot de passe ne peut pas être gardé "
            "dans le trousseau du système. Installez-le (« pip install keyring ») ou définissez "
            "la variable d'environnement indiquée par variable_mot_de_passe dans [courriel]."
        )
    try:
        module.set_password(keyring_service(host), user, password)
    except Exception as exc:  # no usable backend (a server without a desktop session)
        raise MailError(
            f"Le trousseau du système a refusé le mot de passe ({type(exc).__name__}) : sur un "
            "serveur sans session de bureau, utilisez plutôt la variable d'environnement "
            "indiquée par variable_mot_de_passe dans [courriel]."
        ) from None


def _keyring() -> ModuleType | None:
    try:
        return importlib.import_module("keyring")
    except ImportError:
        return None
