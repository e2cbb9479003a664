"""Write price_history.csv from models.csv and the installed genai-prices data (run once, then review).

    python scripts/price_history.py [--checked-at 2026-12-01]

Models genai-prices lists get every dated version it knows; the others (Ollama's local models)
get one version with the prices and source of their models.csv row. Models priced by time of
day (a row with a window, from the vendor's page) keep the rows the existing file holds: genai-prices
has no weekday windows. Afterwards the file is the reviewed source of truth: `flask --app wsgi
catalog sync` proposes changes to it.
"""
from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.catalog import load_models  # noqa: E402
from app.store.catalog_files import check_consistent, history_path, read_history, row_prices, write_history  # noqa: E402
from app.store.price_versions import SINCE_EVER, Version  # noqa: E402
from app.store.upstream import timeline, upstream_versions  # noqa: E402
from app.vendors import VENDORS  # noqa: E402

MODELS_CSV = Path(__file__).resolve().parent.parent / "models.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checked-at", type=date.fromisoformat, default=datetime.now(UTC).date())
    args = parser.parse_args()
    models = load_models(MODELS_CSV, VENDORS.keys())
    target = history_path(MODELS_CSV)
    existing = read_history(target) if target.exists() else []
    windowed = {version.model_id for version in existing if version.window is not None}
    versions: list[Version] = []
    for model in models:
        if model.id in windowed:
            versions += [version for version in existing if version.model_id == model.id]
            continue
        found = timeline(model.provider, model.api_model)
        if found is None:
            versions.append(Version(model.id, SINCE_EVER, row_prices(model), model.source,
                                    date.fromisoformat(model.prices_checked)))
        else:
            versions += upstream_versions(model.id, found, args.checked_at)
    check_consistent(models, versions, MODELS_CSV, target)
    write_history(target, versions)
    print(f"wrote {len(versions)} versions of {len(models)} models to {target}")


if __name__ == "__main__":
    main()
