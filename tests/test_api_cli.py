"""`dispatch keys` and `dispatch serve` options, through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.auth import Role
from api.cli import app
from api.store import Store


def db_url(tmp_path: Path) -> str:
    """A SQLite URL in the test's folder."""
    return f"sqlite:///{tmp_path / 'keys.db'}"


def create(url: str, *args: str) -> tuple[int, str]:
    """Run `dispatch keys create` on the database; exit code and stdout."""
    result = CliRunner().invoke(app, ["keys", "create", *args, "--db", url])
    return result.exit_code, result.stdout


def test_create_prints_the_key_alone_on_the_last_line(tmp_path: Path) -> None:
    """The new key is the last stdout line, alone, and it authenticates with its role."""
    url = db_url(tmp_path)
    code, out = create(url, "--role", "coordinator", "--name", "night shift")
    assert code == 0, out
    key = out.strip().splitlines()[-1]
    assert key.startswith("dsp_") and " " not in key
    store = Store.open(url)
    try:
        record = store.authenticate(key)
        assert record is not None and record.role == "coordinator"
        assert record.name == "night shift"
    finally:
        store.close()


def test_db_url_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --db, DISPATCH_DB names the database."""
    url = db_url(tmp_path)
    monkeypatch.setenv("DISPATCH_DB", url)
    result = CliRunner().invoke(app, ["keys", "create", "--role", "viewer"])
    assert result.exit_code == 0, result.output
    store = Store.open(url)
    try:
        assert [k.role for k in store.list_keys()] == ["viewer"]
    finally:
        store.close()


def test_revoke_by_id_prefix_and_list(tmp_path: Path) -> None:
    """A key revoked by its printed prefix no longer authenticates; `list` shows it revoked."""
    url = db_url(tmp_path)
    key = create(url, "--role", "admin")[1].strip().splitlines()[-1]
    printed_prefix = "_".join(key.split("_")[:2])
    result = CliRunner().invoke(app, ["keys", "revoke", printed_prefix, "--db", url])
    assert result.exit_code == 0, result.output
    listing = CliRunner().invoke(app, ["keys", "list", "--db", url])
    assert "revoked" in listing.stdout
    store = Store.open(url)
    try:
        assert store.authenticate(key) is None
    finally:
        store.close()


def test_revoke_unknown_or_ambiguous_exits_2(tmp_path: Path) -> None:
    """An id that matches no key, or several, exits 2 with one line saying so."""
    url = db_url(tmp_path)
    store = Store.open(url)
    try:
        for number in range(17):  # 17 hex ids: two share a first digit for sure
            store.create_key(Role.viewer, f"viewer {number}")
        ids = [k.id for k in store.list_keys()]
    finally:
        store.close()
    unknown = CliRunner().invoke(app, ["keys", "revoke", "zzzz", "--db", url])
    assert unknown.exit_code == 2 and "no such key" in unknown.output
    shared = next(i[0] for i in ids if sum(j.startswith(i[0]) for j in ids) > 1)
    ambiguous = CliRunner().invoke(app, ["keys", "revoke", shared, "--db", url])
    assert ambiguous.exit_code == 2 and "more than one" in ambiguous.output


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "create", "--role", "root"],
        ["keys", "create", "--role", "viewer", "--db", "nosuchdriver://x"],
        ["serve", "--pool-size", "0"],
        ["serve", "--db", "nosuchdriver://x"],
    ],
)
def test_bad_options_exit_2(args: list[str]) -> None:
    """An unknown role, pool size 0 or an unusable database URL exits 2 without a traceback."""
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
