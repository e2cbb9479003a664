"""`price-runner db upgrade`, `catalog import|export|sync`, `keys create|revoke|list` (also `flask --app wsgi ...`)."""
from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version as installed_version

import click
from flask import current_app
from flask.cli import AppGroup

from app.catalog import CatalogError
from app.store import catalog_db, deadlines, keys
from app.store.engine import reading, writing

db_cli = AppGroup("db", help="The database: migrations.")
catalog_cli = AppGroup("catalog", help="The catalog in the database: files, genai-prices sync.")
keys_cli = AppGroup("keys", help="Named API keys.")


def _store():
    store = current_app.extensions["store"]
    deadlines.disable(store.engine)   # migrations and syncs may take longer than a request's calls
    return store


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@db_cli.command("upgrade")
def upgrade_command() -> None:
    """Create or migrate the database to the newest schema; seed an empty catalog from the files."""
    from app.store import migrate   # Alembic, and genai-prices below, load only for the commands that use them

    store = _store()
    before = migrate.current_revision(store.engine)
    migrate.upgrade(store.engine)
    after = migrate.current_revision(store.engine)
    try:
        with writing(store.engine) as session:
            seeded = catalog_db.seed_if_empty(session, store.models_csv, store.history_csv, _now())
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    said = (f"created the database at revision {after}" if before is None
            else f"migrated the database from revision {before} to {after}" if before != after
            else f"the database is at revision {after}, the newest")
    if seeded is not None:
        said += f"; seeded the catalog: {len(seeded.models_added)} models, {seeded.versions_added} price versions"
    click.echo(f"{said} ({store.engine.url.render_as_string()})")   # one line; the password is hidden


@catalog_cli.command("import")
@click.option("--models", "models_csv", type=click.Path(dir_okay=False), help="default: MODELS_CSV")
@click.option("--history", "history_csv", type=click.Path(dir_okay=False), help="default: beside models.csv")
def import_command(models_csv: str | None, history_csv: str | None) -> None:
    """Make the catalog match the reviewed files (history already in force is never rewritten)."""
    store = _store()
    try:
        with writing(store.engine) as session:
            result = catalog_db.import_files(session, models_csv or store.models_csv,
                                             history_csv or store.history_for(models_csv), _now())
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    if not result.changed:
        click.echo("the catalog already matches the files")
        return
    click.echo(f"imported: {len(result.models_added)} new models, {len(result.models_unlisted)} unlisted, "
               f"{result.versions_added} price versions added, {result.versions_removed} not-yet-effective removed")


@catalog_cli.command("export")
@click.option("--models", "models_csv", type=click.Path(dir_okay=False), help="default: MODELS_CSV")
@click.option("--history", "history_csv", type=click.Path(dir_okay=False), help="default: beside models.csv")
def export_command(models_csv: str | None, history_csv: str | None) -> None:
    """Write the catalog as models.csv and price_history.csv, for review in git."""
    store = _store()
    models_path, history_path = models_csv or store.models_csv, history_csv or store.history_for(models_csv)
    try:
        with reading(store.engine) as session:
            models, versions = catalog_db.export_files(session, models_path, history_path)
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {models} models to {models_path} and {versions} price versions to {history_path}")


@catalog_cli.command("sync")
@click.option("--apply", "apply_changes", is_flag=True, help="write the price changes (one transaction)")
def sync_command(apply_changes: bool) -> None:
    """Compare the catalog with the installed genai-prices data; print the difference."""
    from app.store import sync

    store, now = _store(), _now()
    click.echo(f"comparing the catalog with genai-prices {installed_version('genai-prices')} ...", err=True)   # seconds
    with writing(store.engine) if apply_changes else reading(store.engine) as session:
        found = sync.plan(session, now)
        click.echo(sync.report(found))
        if apply_changes:
            try:
                written = sync.apply(session, found, now)
            except (sync.SyncRejected, CatalogError) as exc:
                raise click.ClickException(f"nothing applied: {exc}") from None
            version = catalog_db.catalog_version(session)
    if apply_changes:
        click.echo(f"\napplied {written} price changes; catalog version {version}")


@keys_cli.command("create")
@click.argument("name")
def create_key_command(name: str) -> None:
    """Create a key named NAME and print it once (only its hash is stored)."""
    try:
        with writing(_store().engine) as session:
            key = keys.create_key(session, name, _now())
    except keys.KeyProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(key)
    click.echo(f"created key {name!r}: store it now, it is not shown again", err=True)


@keys_cli.command("revoke")
@click.argument("name")
def revoke_key_command(name: str) -> None:
    """Revoke NAME's live key."""
    try:
        with writing(_store().engine) as session:
            keys.revoke_key(session, name, _now())
    except keys.KeyProblem as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"revoked key {name!r}")


@keys_cli.command("list")
def list_keys_command() -> None:
    """List the keys: name, created, revoked (never the key)."""
    with reading(_store().engine) as session:
        rows = [(row.name, row.created_at.isoformat(), row.revoked_at.isoformat() if row.revoked_at else "live")
                for row in keys.list_keys(session)]
    if not rows:
        click.echo("no keys")
    for name, created, state in rows:
        click.echo(f"{name}\tcreated {created}\t{state if state == 'live' else 'revoked ' + state}")
