"""URLs and errors: the password of a store URL never shows, errors name the store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import make_url

from evm_sync.model import Worklog
from evm_sync.state import StateError, StateStore
from evm_sync.state.engine import parse_url
from tests.state.builders import T0, bare_ticket, worklog

SECRET = "s3cr3t-Pa55word"


def _assert_clean(error: BaseException) -> None:
    """Neither the error nor anything chained to it shows the password."""
    seen: BaseException | None = error
    while seen is not None:
        assert SECRET not in str(seen)
        assert SECRET not in repr(seen)
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://evm:{SECRET}@127.0.0.1:1/nowhere?connect_timeout=3",
        f"postgresql://evm:{SECRET}@127.0.0.1:notaport/db",
        f"mysql://evm:{SECRET}@127.0.0.1/db",
        f"not a url {SECRET}",
    ],
)
def test_unusable_urls_fail_without_showing_the_password(url: str) -> None:
    with pytest.raises(StateError) as caught:
        StateStore.open(url)
    _assert_clean(caught.value)
    assert "state store" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unreachable_postgres_error_names_the_masked_url() -> None:
    with pytest.raises(StateError, match=r"evm:\*\*\*@127\.0\.0\.1:1/nowhere.*cannot open"):
        StateStore.open(f"postgres://evm:{SECRET}@127.0.0.1:1/nowhere?connect_timeout=3")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgres_urls_go_through_psycopg(scheme: str) -> None:
    url = parse_url(f"{scheme}://evm:{SECRET}@db.internal:6543/evm?sslmode=require")
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == ("db.internal", 6543, "evm", SECRET)
    assert url.query == {"sslmode": "require"}


def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "nested" / "evm.db"
    with StateStore.open(f"sqlite:///{path}") as store:
        assert store.url == f"sqlite:///{path}"
    assert path.exists()


def test_sqlite_path_may_start_at_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with StateStore.open("sqlite:///~/evm/state.db") as store:
        assert store.url == f"sqlite:///{tmp_path / 'evm' / 'state.db'}"
    assert (tmp_path / "evm" / "state.db").exists()


def test_sqlite_path_that_cannot_be_a_file_fails_clearly(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a directory")
    with pytest.raises(StateError, match="cannot open"):
        StateStore.open(f"sqlite:///{tmp_path / 'plain-file' / 'evm.db'}")


@pytest.mark.postgres
def test_a_working_store_never_shows_its_password(pg_url: str) -> None:
    """With a password in the URL the store either opens (trust auth ignores it) or is
    refused; either way nothing it says shows the password."""
    url = make_url(pg_url).set(password=SECRET).render_as_string(hide_password=False)
    try:
        store = StateStore.open(url)
    except StateError as refused:
        _assert_clean(refused)
        return
    with store:
        assert SECRET not in repr(store)
        assert SECRET not in store.url
        with pytest.raises(StateError) as caught:
            store.save_page("zd", "tickets", {"bad": object()}, tickets=[bare_ticket("1")])
        _assert_clean(caught.value)
        assert store.url in str(caught.value)


def test_database_errors_are_one_line_naming_the_store_and_the_page(store: StateStore) -> None:
    orphan = Worklog("zd", "9", None, T0, 60, author="sentinel-author")  # type: ignore[arg-type]
    with pytest.raises(StateError) as caught:
        store.save_page("zd", "tickets", {}, worklogs=[worklog("1", "1"), orphan])
    message = str(caught.value)
    assert message.startswith(f"state store {store.url}: saving a page of zd/tickets: ")
    assert "\n" not in message
    assert "sentinel-author" not in message  # the database's words, not the page's rows
