"""Write service_tiers.csv from models.csv and the installed genai-prices data (run once, then review).

    python scripts/service_tiers.py [--checked-at 2026-12-08]

Every catalog model genai-prices prices at a service tier (its price variants keyed by
``service_tier``, other than "default") gets that tier's dated prices.
"""
from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.catalog import load_models  # noqa: E402
from app.catalog.service_tiers import write_service_tiers  # noqa: E402
from app.store.price_versions import Version  # noqa: E402
from app.store.upstream import find_model, source_label, tier_timelines  # noqa: E402
from app.vendors import VENDORS  # noqa: E402

MODELS_CSV = Path(__file__).resolve().parent.parent / "models.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checked-at", type=date.fromisoformat, default=datetime.now(UTC).date())
    args = parser.parse_args()
    rows = []
    for model in load_models(MODELS_CSV, VENDORS.keys()):
        info = find_model(model.provider, model.api_model)
        for tier, changes in (tier_timelines(info) if info else {}).items():
            rows += [(tier, Version(model.id, start, prices, source_label(), args.checked_at))
                     for start, prices in changes]
    target = MODELS_CSV.with_name("service_tiers.csv")
    write_service_tiers(target, rows)
    print(f"wrote {len(rows)} tier prices of {len({v.model_id for _, v in rows})} models to {target}")


if __name__ == "__main__":
    main()
