from pathlib import Path

import pytest

from supportledger.config import ConfigError, Secret, load_settings


def test_defaults(tmp_path: Path):
    settings = load_settings({}, dotenv_path=tmp_path / "none")
    assert settings.database_url == "sqlite:///supportledger.db"
    assert settings.timezone_name == "America/Phoenix"
    assert settings.base_currency == "USD"
    assert settings.lapse_grace_days == 10
    assert settings.show_supporter_names is False


def test_environment_wins_over_dotenv(tmp_path: Path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("LEDGER_TIMEZONE=Europe/Paris\nBASE_CURRENCY=EUR\n")
    dotenv.chmod(0o600)
    settings = load_settings({"LEDGER_TIMEZONE": "America/Phoenix"}, dotenv_path=dotenv)
    assert settings.timezone_name == "America/Phoenix"
    assert settings.base_currency == "EUR"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEDGER_TIMEZONE", "Mars/Olympus"),
        ("BASE_CURRENCY", "DOLLARS"),
        ("SMTP_SECURITY", "tls1.3"),
        ("SMTP_PORT", "abc"),
        ("DATABASE_URL", "mysql://x"),
        ("SHOW_SUPPORTER_NAMES", "maybe"),
        ("FEE_SCHEDULE_FILE", "/no/such/file.toml"),
    ],
)
def test_an_invalid_setting_is_named(tmp_path: Path, name, value):
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, dotenv_path=tmp_path / "none")
    message = str(caught.value)
    assert message.startswith(name)
    assert "\n" not in message


def test_postgres_urls_use_psycopg(tmp_path: Path):
    settings = load_settings({"DATABASE_URL": "postgres://u@h/db"}, dotenv_path=tmp_path / "x")
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_secrets_never_show_themselves(tmp_path: Path):
    settings = load_settings(
        {"SMTP_PASSWORD": "hunter2-secret", "STRIPE_API_KEY": "rk_live_abc123"},
        dotenv_path=tmp_path / "none",
    )
    shown = f"{settings!r} {settings} {settings.smtp_password} {settings.stripe_api_key!r}"
    assert "hunter2-secret" not in shown
    assert "rk_live_abc123" not in shown
    assert settings.smtp_password.reveal() == "hunter2-secret"
    assert Secret("") != settings.smtp_password


def test_a_dotenv_readable_by_others_draws_a_warning(tmp_path: Path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("SMTP_PASSWORD=x\n")
    dotenv.chmod(0o644)
    with pytest.warns(UserWarning, match="readable by other users"):
        load_settings({}, dotenv_path=dotenv)


def test_statement_recipients_are_a_list(tmp_path: Path):
    settings = load_settings(
        {"STATEMENT_TO": "a@example.org, b@example.org;c@example.org"},
        dotenv_path=tmp_path / "none",
    )
    assert settings.statement_to == ("a@example.org", "b@example.org", "c@example.org")
