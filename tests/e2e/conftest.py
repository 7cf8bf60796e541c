"""End-to-end fixtures: the CLI runs in-process against the test database."""

from __future__ import annotations

import pytest


@pytest.fixture
def env(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the in-process CLI at the test database and output folder."""
    for key, value in cli_env.items():
        if key.startswith("ROOTCAUSE_"):
            monkeypatch.setenv(key, value)
    return cli_env
