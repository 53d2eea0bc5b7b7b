import pytest
from django.core.exceptions import ImproperlyConfigured

from tiendo.core.env import env_bool, env_float, env_int, env_list, env_secret


def test_env_bool_reads_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG", default=False) is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", default=True) is False


def test_env_bool_refuses_a_typo_instead_of_guessing(monkeypatch):
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG", default=False)


def test_env_list_splits_on_commas(monkeypatch):
    monkeypatch.setenv("X_HOSTS", "a.vn, b.vn,,")
    assert env_list("X_HOSTS", []) == ["a.vn", "b.vn"]


def test_a_secret_comes_from_the_environment_then_a_file_then_a_generated_file(monkeypatch, tmp_path):
    monkeypatch.setenv("X_SECRET", "from-env")
    assert env_secret("X_SECRET", fallback_file=None) == ("from-env", "env")
    monkeypatch.delenv("X_SECRET")
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret_file))
    assert env_secret("X_SECRET", fallback_file=None) == ("from-file", "file")
    monkeypatch.delenv("X_SECRET_FILE")
    generated, origin = env_secret("X_SECRET", fallback_file=tmp_path / "gen" / "key")
    assert origin == "generated" and len(generated) > 40
    assert env_secret("X_SECRET", fallback_file=tmp_path / "gen" / "key")[0] == generated


def test_a_secret_file_that_does_not_exist_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("X_SECRET", raising=False)
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "nope"))
    with pytest.raises(ImproperlyConfigured, match="X_SECRET_FILE"):
        env_secret("X_SECRET", fallback_file=None)


def test_env_int_and_env_float_read_numbers_and_keep_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("X_DAYS", raising=False)
    assert env_int("X_DAYS", default=3) == 3
    monkeypatch.setenv("X_DAYS", " 7 ")
    assert env_int("X_DAYS", default=3) == 7
    monkeypatch.setenv("X_SECONDS", "0.5")
    assert env_float("X_SECONDS", default=1.0) == 0.5


def test_a_malformed_number_names_the_variable_and_the_rule(monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("TIENDO_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("X_DAYS", "three")
    with pytest.raises(ImproperlyConfigured, match="^X_DAYS=three: must be an integer$"):
        env_int("X_DAYS", default=3)
    monkeypatch.setenv("X_DAYS", "-1")
    with pytest.raises(ImproperlyConfigured, match="^X_DAYS=-1: must be at least 0$"):
        env_int("X_DAYS", default=3, minimum=0)
    monkeypatch.setenv("X_SECONDS", "nan")
    with pytest.raises(ImproperlyConfigured, match="^X_SECONDS=nan: must be a finite number$"):
        env_float("X_SECONDS", default=1.0)
    monkeypatch.setenv("X_SECONDS", "một")
    with pytest.raises(ImproperlyConfigured, match="^X_SECONDS=một: must be a number$"):
        env_float("X_SECONDS", default=1.0)
    monkeypatch.setenv("LANG", "vi_VN.UTF-8")
    with pytest.raises(ImproperlyConfigured, match="^X_SECONDS=một: phải là số$"):
        env_float("X_SECONDS", default=1.0)
