"""The PYTEST_CURRENT_TEST guard: a racing read off the main thread gets "" instead of KeyError."""

from __future__ import annotations

import os
import threading

import pytest

from pytest_planalign_dbt.session import envguard


def _read_in_thread(key: str) -> list[object]:
    out: list[object] = []

    def read() -> None:
        try:
            out.append(os.environ[key])
        except KeyError as exc:
            out.append(exc)

    t = threading.Thread(target=read)
    t.start()
    t.join()
    return out


def test_guard_only_softens_the_one_key_off_the_main_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    assert isinstance(_read_in_thread("PYTEST_CURRENT_TEST")[0], KeyError)  # the race dbt hit
    envguard.install()
    envguard.install()  # nested
    try:
        assert envguard.installed()
        assert _read_in_thread("PYTEST_CURRENT_TEST") == [""]
        assert isinstance(_read_in_thread("NOT_THERE_EITHER")[0], KeyError)
        with pytest.raises(KeyError):
            os.environ["PYTEST_CURRENT_TEST"]  # the main thread sees the truth
        monkeypatch.setenv("PLANALIGN_GUARD_PROBE", "1")
        assert dict(os.environ)["PLANALIGN_GUARD_PROBE"] == "1"
        envguard.uninstall()
        assert envguard.installed()  # still one level on
    finally:
        envguard.uninstall()
        envguard.uninstall()  # extra calls are harmless
    assert not envguard.installed() and type(os.environ) is os._Environ
