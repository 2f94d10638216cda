"""`dispatch serve` (the HTTP API) and `dispatch keys` (its API keys).

FastAPI, uvicorn and the database are imported inside the commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from api.auth import Role
from api.cli.inputs import fail, fail_options
from api.cli.root import app

if TYPE_CHECKING:
    from api.settings import Settings
    from api.store import Store


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL (SQLAlchemy); default $DISPATCH_DB, else sqlite:///dispatch.db. "
        "Leave the password out (it would show in `ps`): PGPASSWORD, ~/.pgpass or "
        "$DISPATCH_DB_PASSWORD_FILE give it.",
    ),
]


def service_settings(**given: Any) -> Settings:
    """Service settings: the options given, else the environment (DISPATCH_*), else the
    defaults (exit 2 when invalid)."""
    from api.settings import Settings

    try:
        return Settings(**{k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        fail_options(exc)


def open_store(settings: Settings) -> Store:
    """The service's store (exit 2 when the database cannot be opened)."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from api.db import masked
    from api.migrate import MigrationError
    from api.store import Store

    urls = [settings.db]
    try:
        urls.append(settings.database_url())
        return Store.open(urls[-1])
    except (ArgumentError, SQLAlchemyError, MigrationError, ImportError, OSError) as exc:
        url, why = masked(settings.db), str(exc)
        for secret in set(urls) - {url}:
            why = why.replace(secret, url)  # a message may quote the URL: never its password
        fail([f"--db: cannot open {url} ({type(exc).__name__}: {why})"])


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on; default 127.0.0.1.")
    ] = None,
    port: Annotated[int | None, typer.Option(min=0, max=65535, help="Port; default 8000.")] = None,
    db: DbOption = None,
    pool_size: Annotated[
        int | None,
        typer.Option("--pool-size", min=1, help="Solver worker processes; default 1."),
    ] = None,
    queue_size: Annotated[
        int | None,
        typer.Option("--queue-size", min=0, help="Solves that may wait; default 16."),
    ] = None,
) -> None:
    """Run the HTTP API; its OpenAPI documentation is at /docs.

    Other settings come from DISPATCH_* environment variables (see api/settings.py).
    """
    settings = service_settings(
        host=host, port=port, db=db, pool_size=pool_size, queue_size=queue_size
    )
    open_store(settings).close()  # fail fast, before the server starts, on a bad URL
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


keys_app = typer.Typer(
    name="keys", help="API keys of the HTTP service.", no_args_is_help=True, add_completion=False
)
app.add_typer(keys_app)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    name: Annotated[str | None, typer.Option(help="Who or what the key is for.")] = None,
    db: DbOption = None,
) -> None:
    """Make an API key; the key itself is printed alone on the last line (and never again)."""
    store = open_store(service_settings(db=db))
    try:
        record, text = store.create_key(role, name)
    finally:
        store.close()
    label = f" '{record.name}'" if record.name else ""
    typer.echo(f"created {record.role} key {record.id}{label}; it is shown only this once:")
    typer.echo(text)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY_ID_OR_PREFIX", help="The key's id, a unique prefix of it, or the key."
        ),
    ],
    db: DbOption = None,
) -> None:
    """Revoke an API key (exit 2 when no key, or more than one, matches)."""
    from api.store import Ambiguous, NotFound

    store = open_store(service_settings(db=db))
    try:
        record = store.revoke_key(key)
    except NotFound:
        fail([f"{key}: no such key"])
    except Ambiguous:
        fail([f"{key}: more than one key starts with this; give more of the id"])
    finally:
        store.close()
    typer.echo(f"revoked {record.role} key {record.id}")


@keys_app.command("list")
def keys_list(db: DbOption = None) -> None:
    """List the API keys (id, role, name, created, revoked); never their secrets."""
    store = open_store(service_settings(db=db))
    try:
        records = store.list_keys()
    finally:
        store.close()
    for r in records:
        revoked = f"revoked {r.revoked_at:%Y-%m-%d %H:%M}" if r.revoked_at else "active"
        typer.echo(f"{r.id}\t{r.role}\t{r.name or '-'}\t{r.created_at:%Y-%m-%d %H:%M}\t{revoked}")
