"""Settings come from APPRAISER_* variables and refuse bad values at start-up."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from appraise import app as cli_app
from service.api.settings import Settings, get_settings
from service.scoring.settings import ScoringSettings

pytestmark = pytest.mark.api


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISER_MAX_BATCH_SIZE", "8")
    monkeypatch.setenv("APPRAISER_MODEL_URI", "models:/other/3")
    settings = Settings()
    assert settings.max_batch_size == 8 and settings.batch_sizes == (1, 2, 4, 8)
    assert settings.model_uri == "models:/other/3"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("max_batch_size", 24, "power of 2"),
        ("api_key", "short", "at least 16"),
        ("port", 0, "greater than or equal to 1"),
        ("device", "tpu", "'auto', 'cpu' or 'gpu'"),
        ("max_wait_ms", -1, "greater than or equal to 0"),
        ("target_batch_size", 0, "greater than or equal to 1"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(
    field: str, value: object, problem: str
) -> None:
    values: dict[str, Any] = {field: value}
    with pytest.raises(ValidationError) as info:
        Settings(**values)
    assert field in str(info.value) and problem in str(info.value)


def test_batch_scoring_keeps_tensorflows_threads_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("APPRAISER_INTRA_OP_THREADS", raising=False)
    monkeypatch.setenv("APPRAISER_INTER_OP_THREADS", "3")
    serving, scoring = Settings(), ScoringSettings()
    assert (serving.intra_op_threads, serving.inter_op_threads) == (1, 3)
    assert (scoring.intra_op_threads, scoring.inter_op_threads) == (0, 3)


def test_batch_scoring_has_no_http_settings() -> None:
    assert not {"host", "port", "api_key", "max_body_bytes"} & set(ScoringSettings.model_fields)


def test_empty_api_key_means_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPRAISER_API_KEY", "")
    assert Settings().api_key is None


def test_get_settings_is_read_once() -> None:
    get_settings.cache_clear()
    assert get_settings() is get_settings()
    get_settings.cache_clear()


def test_serve_command_is_registered_and_refuses_bad_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CliRunner()
    help_text = runner.invoke(cli_app, ["serve", "--help"]).output
    assert "--model" in help_text and "--port" in help_text
    monkeypatch.setenv("APPRAISER_MAX_BATCH_SIZE", "3")
    result = runner.invoke(cli_app, ["serve"])
    assert result.exit_code == 2
    assert "max_batch_size" in result.output and "power of 2" in result.output
