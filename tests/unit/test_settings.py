"""Unit tests for rootcause.settings: every layer, and the errors that name the bad key.

Every call passes environ= and cwd= explicitly, so the real environment and working directory
never leak into a test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rootcause.errors import ConfigError, RootcauseError
from rootcause.settings import IngestSettings, ReportSettings, Settings, load_settings


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- defaults --------------------------------------------------------------------------------
def test_settings_defaults_without_file_or_environment(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    assert isinstance(settings, Settings)
    assert settings.database_url == "sqlite:///rootcause.db"
    assert settings.taxonomy_path is None
    assert settings.ingest == IngestSettings()
    assert settings.ingest.batch_size == 20_000
    assert settings.ingest.max_text_chars == 20_000
    assert settings.ingest.max_future_days == 2
    assert settings.ingest.earliest_year == 1990
    assert settings.report == ReportSettings()
    assert settings.report.out_dir == Path("reports/out")
    assert settings.report.trend_weeks == 12


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(environ={}, cwd=tmp_path)
    with pytest.raises(Exception, match="frozen"):
        settings.database_url = "sqlite:///other.db"  # type: ignore[misc]
    with pytest.raises(Exception, match="frozen"):
        settings.ingest.batch_size = 1  # type: ignore[misc]


# --- layers ----------------------------------------------------------------------------------
def test_settings_cwd_file_overrides_defaults(tmp_path: Path) -> None:
    write_toml(
        tmp_path / "rootcause.toml",
        'database_url = "sqlite:///from-cwd.db"\n[ingest]\nbatch_size = 100\n'
        '[report]\nout_dir = "elsewhere"\n',
    )
    settings = load_settings(environ={}, cwd=tmp_path)
    assert settings.database_url == "sqlite:///from-cwd.db"
    assert settings.ingest.batch_size == 100
    assert settings.ingest.max_text_chars == 20_000  # untouched keys keep their defaults
    assert settings.report.out_dir == Path("elsewhere")


def test_settings_config_env_file_wins_over_cwd_file(tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    write_toml(cwd / "rootcause.toml", 'database_url = "sqlite:///from-cwd.db"\n')
    explicit = write_toml(
        tmp_path / "explicit.toml", 'database_url = "sqlite:///from-explicit.db"\n'
    )
    settings = load_settings(environ={"ROOTCAUSE_CONFIG": str(explicit)}, cwd=cwd)
    assert settings.database_url == "sqlite:///from-explicit.db"


def test_settings_config_env_file_replaces_cwd_file(tmp_path: Path) -> None:
    # "rootcause.toml (or the file named by ROOTCAUSE_CONFIG)": the cwd file is not read at all.
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    write_toml(cwd / "rootcause.toml", "[ingest]\nbatch_size = 7\n")
    explicit = write_toml(tmp_path / "explicit.toml", "[report]\ntrend_weeks = 20\n")
    settings = load_settings(environ={"ROOTCAUSE_CONFIG": str(explicit)}, cwd=cwd)
    assert settings.report.trend_weeks == 20
    assert settings.ingest.batch_size == 20_000


def test_settings_empty_config_env_falls_back_to_cwd_file(tmp_path: Path) -> None:
    write_toml(tmp_path / "rootcause.toml", "[ingest]\nbatch_size = 7\n")
    settings = load_settings(environ={"ROOTCAUSE_CONFIG": ""}, cwd=tmp_path)
    assert settings.ingest.batch_size == 7


def test_settings_config_env_naming_a_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"ROOTCAUSE_CONFIG": str(missing)}, cwd=tmp_path)
    assert str(info.value).startswith(f"{missing}: cannot read the settings file")


def test_settings_environment_overrides_file(tmp_path: Path) -> None:
    write_toml(
        tmp_path / "rootcause.toml",
        'database_url = "sqlite:///from-file.db"\n'
        "[ingest]\nbatch_size = 100\nmax_future_days = 5\n",
    )
    environ = {
        "ROOTCAUSE_DATABASE_URL": "sqlite:///from-env.db",
        "ROOTCAUSE_INGEST__BATCH_SIZE": "250",
    }
    settings = load_settings(environ=environ, cwd=tmp_path)
    assert settings.database_url == "sqlite:///from-env.db"
    assert settings.ingest.batch_size == 250
    assert settings.ingest.max_future_days == 5  # the file's sibling key survives the merge


def test_settings_nested_environment_variable_is_coerced(tmp_path: Path) -> None:
    environ = {"ROOTCAUSE_INGEST__BATCH_SIZE": "1234", "ROOTCAUSE_REPORT__OUT_DIR": "/tmp/x"}
    settings = load_settings(environ=environ, cwd=tmp_path)
    assert settings.ingest.batch_size == 1234
    assert isinstance(settings.ingest.batch_size, int)
    assert settings.report.out_dir == Path("/tmp/x")


def test_settings_overrides_win_over_environment_and_file(tmp_path: Path) -> None:
    write_toml(tmp_path / "rootcause.toml", "[ingest]\nbatch_size = 100\nearliest_year = 2000\n")
    environ = {"ROOTCAUSE_INGEST__BATCH_SIZE": "250", "ROOTCAUSE_DATABASE_URL": "sqlite:///e.db"}
    settings = load_settings(
        {"ingest": {"batch_size": 999}, "database_url": "sqlite:///o.db"},
        environ=environ,
        cwd=tmp_path,
    )
    assert settings.ingest.batch_size == 999
    assert settings.database_url == "sqlite:///o.db"
    assert settings.ingest.earliest_year == 2000


def test_settings_none_overrides_are_ignored(tmp_path: Path) -> None:
    environ = {"ROOTCAUSE_DATABASE_URL": "sqlite:///e.db"}
    settings = load_settings({"database_url": None}, environ=environ, cwd=tmp_path)
    assert settings.database_url == "sqlite:///e.db"


def test_settings_unknown_environment_names_are_ignored(tmp_path: Path) -> None:
    environ = {
        "ROOTCAUSE_TEST_POSTGRES_URL": "postgresql://u:p@h/db",
        "ROOTCAUSE_SOMETHING_ELSE": "x",
        "OTHER_DATABASE_URL": "sqlite:///nope.db",
        "DATABASE_URL": "sqlite:///nope.db",
    }
    settings = load_settings(environ=environ, cwd=tmp_path)
    assert settings == load_settings(environ={}, cwd=tmp_path)


def test_settings_unknown_nested_environment_key_is_an_error(tmp_path: Path) -> None:
    # The section is ours, so a typo inside it must not be silently dropped.
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"ROOTCAUSE_INGEST__BATCH_SIZ": "5"}, cwd=tmp_path)
    assert "ingest.batch_siz" in str(info.value)
    assert "ROOTCAUSE_* environment" in str(info.value)


# --- errors ----------------------------------------------------------------------------------
def test_settings_unknown_key_in_file_names_key_and_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "rootcause.toml", "[ingest]\nbatch_sise = 10\n")
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, cwd=tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}: setting 'ingest.batch_sise': ")
    assert "Extra inputs are not permitted" in message


def test_settings_unknown_top_level_key_in_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "rootcause.toml", 'databse_url = "sqlite:///x.db"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, cwd=tmp_path)
    assert str(info.value).startswith(f"{path}: setting 'databse_url': ")


def test_settings_bad_value_type_names_key(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "rootcause.toml", '[ingest]\nbatch_size = "lots"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, cwd=tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}: setting 'ingest.batch_size': ")
    assert "integer" in message


def test_settings_out_of_range_value_names_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"report": {"trend_weeks": 1}}, environ={}, cwd=tmp_path)
    assert "setting 'report.trend_weeks': " in str(info.value)
    assert "greater than or equal to 2" in str(info.value)


def test_settings_bad_environment_value_names_key_and_origin(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"ROOTCAUSE_INGEST__BATCH_SIZE": "0"}, cwd=tmp_path)
    message = str(info.value)
    assert message.startswith("defaults + ROOTCAUSE_* environment: setting 'ingest.batch_size': ")


def test_settings_section_given_a_scalar_is_an_error(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "rootcause.toml", "ingest = 5\n")
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, cwd=tmp_path)
    assert str(info.value).startswith(f"{path}: setting 'ingest': ")


def test_settings_invalid_toml_names_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "rootcause.toml", "[ingest\nbatch_size = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings(environ={}, cwd=tmp_path)
    assert str(info.value).startswith(f"{path}: not valid TOML: ")


def test_settings_config_error_is_a_rootcause_error_with_exit_code_2(tmp_path: Path) -> None:
    write_toml(tmp_path / "rootcause.toml", "nonsense = 1\n")
    with pytest.raises(RootcauseError) as info:
        load_settings(environ={}, cwd=tmp_path)
    assert isinstance(info.value, ConfigError)
    assert info.value.exit_code == 2


def test_settings_directory_named_rootcause_toml_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "rootcause.toml").mkdir()
    assert load_settings(environ={}, cwd=tmp_path) == load_settings(environ={}, cwd=tmp_path / "x")
