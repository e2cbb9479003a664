"""`price-runner db upgrade`, `catalog import|export|sync`, `keys create|revoke|list` (also `flask --app wsgi ...`)."""
from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path

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
@click.option("--source", help="price data in genai-prices' format: a URL or a file "
              "(default: PRICES_SOURCE_URL, else the installed genai-prices data)")
@click.option("--apply", "apply_changes", is_flag=True, help="write the price changes (one transaction)")
@click.option("--add-new", is_flag=True, help="with --apply, also add the new models the plan lists")
@click.option("--force", is_flag=True, help="with --apply, allow prices set to 0 or moved more than 10-fold")
def sync_command(source: str | None, apply_changes: bool, add_new: bool, force: bool) -> None:
    """Compare the catalog with genai-prices' price data; print the difference."""
    from app.store import price_source, sync

    if add_new and not apply_changes:
        raise click.UsageError("--add-new needs --apply")
    store, now = _store(), _now()
    wanted = source or current_app.config.get("PRICES_SOURCE_URL")
    shown = wanted or f"genai-prices {installed_version('genai-prices')}"
    click.echo(f"comparing the catalog with {shown} ...", err=True)   # seconds, more for a URL
    try:
        data = price_source.load(wanted)
        tiers = _service_tiers()
    except (price_source.SourceError, CatalogError) as exc:
        raise click.ClickException(f"nothing applied: {exc}") from None
    with writing(store.engine) if apply_changes else reading(store.engine) as session:
        found = sync.plan(session, now, data, tiers)
        click.echo(sync.report(found))
        if apply_changes:
            try:
                written = sync.apply(session, found, now, add_new=add_new, force=force)
            except (sync.SyncRejected, CatalogError) as exc:
                raise click.ClickException(f"nothing applied: {exc}") from None
            version = catalog_db.catalog_version(session)
    if apply_changes:
        added = len(found.addable) if add_new else 0
        models = f" and added {added} models" if add_new else ""
        click.echo(f"\napplied {written - added} price changes{models}; catalog version {version}")


def _service_tiers():
    """service_tiers.csv (SERVICE_TIERS_CSV, else beside MODELS_CSV), checked against models.csv; None without one."""
    from app.catalog import load_models
    from app.catalog.service_tiers import read_service_tiers
    from app.vendors import VENDORS

    config = current_app.config
    path = config.get("SERVICE_TIERS_CSV") or Path(config["MODELS_CSV"]).with_name("service_tiers.csv")
    if not Path(path).is_file():
        return None
    tiers = read_service_tiers(path, [model.id for model in load_models(config["MODELS_CSV"], VENDORS.keys())])
    return tiers if tiers.versions else None


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
