from __future__ import annotations

import stat
from pathlib import Path

import pytest

from entretien_forms.errors import ConfigError, WorkspaceError
from entretien_forms.workspace import FOLDERS, init_workspace, open_workspace


def test_init_creates_settings_folders_and_private_secret(tmp_path: Path) -> None:
    report = init_workspace(tmp_path / "rh")
    root = tmp_path / "rh"
    assert "entretien.toml" in report.created
    assert ".entretien/secret.key" in report.created
    for folder in FOLDERS:
        assert (root / folder).is_dir()
    secret = root / ".entretien" / "secret.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert len(bytes.fromhex(secret.read_text().strip())) == 32


def test_rerun_keeps_edited_files_and_the_secret(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    config = tmp_path / "entretien.toml"
    edited = config.read_text().replace('nom = "Mon entreprise"', 'nom = "Acme"')
    config.write_text(edited)
    secret = (tmp_path / ".entretien" / "secret.key").read_text()

    report = init_workspace(tmp_path)

    assert report.kept == ["entretien.toml"]
    assert report.created == []
    assert config.read_text() == edited
    assert (tmp_path / ".entretien" / "secret.key").read_text() == secret


def test_rerun_reports_untouched_files_as_up_to_date(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    report = init_workspace(tmp_path)
    assert "entretien.toml" in report.unchanged
    assert report.kept == [] and report.created == []


def test_init_refuses_to_finish_on_an_invalid_existing_config(tmp_path: Path) -> None:
    (tmp_path / "entretien.toml").write_text("[entreprise]\neffectif = 'x'\n")
    with pytest.raises(ConfigError, match="effectif"):
        init_workspace(tmp_path)
    assert (tmp_path / "entretien.toml").read_text() == "[entreprise]\neffectif = 'x'\n"


def test_open_outside_a_workspace_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as caught:
        open_workspace(tmp_path)
    message = str(caught.value)
    assert str(tmp_path) in message
    assert "entretien init" in message and "ENTRETIEN_WORKSPACE" in message


def test_secret_is_created_on_first_use_in_a_fresh_clone(tmp_path: Path) -> None:
    (tmp_path / "entretien.toml").write_text("")
    workspace = open_workspace(tmp_path)
    first = workspace.secret()
    assert len(first) == 32
    assert workspace.secret() == first


def test_init_on_a_file_path_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "fichier"
    target.write_text("x")
    with pytest.raises(WorkspaceError, match="Impossible de préparer l'espace de travail"):
        init_workspace(target)
