"""Named API keys: shown once, stored as a hash, revoked by name; principal_for looks them up."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.store.engine import reading, writing
from app.store.keys import KeyProblem, create_key, list_keys, principal_for, revoke_key
from app.store.schema import ApiKey

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def create(engine, name: str) -> str:
    with writing(engine) as session:
        return create_key(session, name, NOW)


def principal(engine, key: str) -> str | None:
    with reading(engine) as session:
        return principal_for(session, key)


def test_a_key_is_random_shown_once_and_stored_as_its_hash(engine):
    key, other = create(engine, "ci-bot"), create(engine, "dashboard")
    assert key.startswith("prk_") and len(key) >= 40 and key != other
    with reading(engine) as session:
        rows = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
    assert rows[0].key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert all(key not in str(vars(row)) for row in rows)   # the key itself is nowhere
    assert principal(engine, key) == "ci-bot" and principal(engine, other) == "dashboard"


@pytest.mark.parametrize("presented", ["", "prk_wrong", "not-a-key", "prk_" + "A" * 43])
def test_unknown_keys_have_no_principal(engine, presented):
    create(engine, "ci-bot")
    assert principal(engine, presented) is None


def test_revoked_keys_stop_working_at_once_and_the_name_can_get_a_new_key(engine):
    old = create(engine, "ci-bot")
    with writing(engine) as session:
        revoke_key(session, "ci-bot", NOW)
    assert principal(engine, old) is None
    new = create(engine, "ci-bot")
    assert principal(engine, new) == "ci-bot" and principal(engine, old) is None
    with reading(engine) as session:
        assert [(row.name, row.revoked_at) for row in list_keys(session)] == [("ci-bot", NOW), ("ci-bot", None)]


def test_one_live_key_per_name(engine):
    create(engine, "ci-bot")
    with pytest.raises(KeyProblem, match="already has a live key"):
        create(engine, "ci-bot")


def test_the_database_itself_refuses_a_second_live_key_per_name(engine):
    create(engine, "ci-bot")
    with pytest.raises(Exception, match="(?i)unique"):
        with writing(engine) as session:
            session.add(ApiKey(name="ci-bot", key_hash="0" * 64, created_at=NOW))


def test_revoking_an_unknown_name_says_so(engine):
    with pytest.raises(KeyProblem, match="no live key named 'nobody'"):
        with writing(engine) as session:
            revoke_key(session, "nobody", NOW)


@pytest.mark.parametrize("name,problem", [("anonymous", "reserved"), ("", "must be 1-64"),
                                          ("two words", "must be 1-64"), ("x" * 65, "must be 1-64"),
                                          ("-dash", "must be 1-64")])
def test_names_that_logs_could_not_show_are_refused(engine, name, problem):
    with pytest.raises(KeyProblem, match=problem):
        create(engine, name)
