import json
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import InputError
from geo.ingest.entry import FieldEntry, record_report
from geo.patrol.plans import (
    coverage,
    link_reports,
    linked_reports,
    list_plans,
    load_plan,
    mark_done,
    plan_of,
    save_plan,
    update_plan,
    walking_options,
)
from geo.patrol.solver import PlanRequest, solve
from geo.patrol.targets import Target, with_priorities
from geo.patrol.walking import StraightLineWalking
from geo.store.database import Store
from geo.store.patrol_schema import migrate
from tests.patrol.conftest import AT, assert_feasible

OFFICE = (47.3200, 5.0400)  # on the nord/sud border
WALK = walking_options(speed_kmh=4.5, detour=1.3)


def _plan(at=AT, priorities=None):
    targets = [Target("nord 1", 47.3240, 5.0400, 3, "test"), Target("nord 2", 47.3250, 5.0450, 2, "test"),
               Target("sud 1", 47.3160, 5.0380, 1, "test", window_start=(at + timedelta(minutes=30)).time(),
                      window_end=(at + timedelta(minutes=90)).time())]
    if priorities:
        targets = with_priorities(targets, priorities)
    plan = solve(targets, request=PlanRequest(teams=1, shift_minutes=120, start=OFFICE, at=at, time_limit_s=1),
                 walking=StraightLineWalking())
    assert_feasible(plan)
    return plan


def test_save_reopen_adjust_and_mark_done(tmp_store):
    plan = _plan()
    plan_id = save_plan(tmp_store, plan, name="Vendredi après-midi", walking=WALK,
                        territory=tmp_store.load_territory())
    listed = list_plans(tmp_store)
    assert list(listed["name"]) == ["Vendredi après-midi"] and listed.loc[0, "status"] == "planned"
    assert listed.loc[0, "visited"] == 3
    saved = load_plan(tmp_store, plan_id)
    assert saved.request == plan.request
    assert saved.targets == plan.targets
    assert list(saved.stops["name"]) == [s.target.name for s in plan.routes[0].stops]
    assert sorted(saved.stops["neighbourhood"]) == ["nord", "nord", "sud"]
    assert saved.summary == json.loads(json.dumps(plan.summary()))
    assert saved.geojson["type"] == "FeatureCollection"

    # adjust: change a priority, solve again, save under the same id
    adjusted = solve(with_priorities(saved.targets, {saved.targets[2].key: 8}), request=saved.request,
                     walking=StraightLineWalking())
    assert_feasible(adjusted)
    update_plan(tmp_store, plan_id, adjusted, walking=WALK, territory=tmp_store.load_territory())
    again = load_plan(tmp_store, plan_id)
    assert [t.priority for t in again.targets] == [3, 2, 8]
    assert len(list_plans(tmp_store)) == 1

    mark_done(tmp_store, plan_id)
    assert load_plan(tmp_store, plan_id).status == "done"
    with pytest.raises(InputError, match="déjà marqué fait"):
        update_plan(tmp_store, plan_id, adjusted, walking=WALK)


def test_reports_entered_on_the_round_are_linked(tmp_store, taxonomy):
    plan_id = save_plan(tmp_store, _plan(), name="Tournée", walking=WALK)
    entry = FieldEntry(lat=47.3241, lon=5.0401, category=next(iter(taxonomy.categories)),
                       observed_at=pd.Timestamp(AT + timedelta(minutes=20)))
    result = record_report(tmp_store, entry, taxonomy=taxonomy)
    assert result.ok
    assert link_reports(tmp_store, plan_id, [result.report_id]) == 1
    assert link_reports(tmp_store, plan_id, [result.report_id]) == 0
    assert linked_reports(tmp_store, plan_id) == [result.report_id]
    with pytest.raises(InputError, match="signalements introuvables"):
        link_reports(tmp_store, plan_id, ["nope"])
    with pytest.raises(InputError, match="introuvable"):
        link_reports(tmp_store, 999, [result.report_id])


def test_coverage_counts_rounds_done_in_the_last_four_weeks(tmp_store):
    territory = tmp_store.load_territory()
    now = AT + timedelta(days=1)
    recent = [save_plan(tmp_store, _plan(at=AT - timedelta(days=d)), name=f"r{d}", walking=WALK, territory=territory)
              for d in (1, 8)]
    old = save_plan(tmp_store, _plan(at=AT - timedelta(days=40)), name="old", walking=WALK, territory=territory)
    not_done = save_plan(tmp_store, _plan(at=AT - timedelta(days=2)), name="pending", walking=WALK,
                         territory=territory)
    for plan_id in [*recent, old]:
        mark_done(tmp_store, plan_id)
    table = coverage(tmp_store, now=now).set_index("code")
    assert table.loc["nord", "rounds"] == 2 and table.loc["nord", "stops"] == 4
    assert table.loc["sud", "rounds"] == 2 and table.loc["sud", "stops"] == 2
    assert table.loc["nord", "last_visit"].date() == (AT - timedelta(days=1)).date()
    assert load_plan(tmp_store, not_done).status == "planned"
    # a quartier no round reached is listed with zero
    save_plan(tmp_store, _plan(), name="x", walking=WALK, territory=territory)
    assert set(coverage(tmp_store, now=now)["code"]) == {"nord", "sud"}


def test_names_are_required(tmp_store):
    with pytest.raises(InputError, match="nom du plan"):
        save_plan(tmp_store, _plan(), name="  ", walking=WALK)


def test_migration_is_idempotent_on_an_older_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = Store(url)
    with store.engine.begin() as conn:
        for name in ("patrol_reports", "patrol_stops", "patrol_plans"):
            conn.exec_driver_sql(f"DROP TABLE {name}")
        conn.exec_driver_sql("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store.engine.dispose()
    reopened = Store(url)
    names = sa.inspect(reopened.engine).get_table_names()
    assert {"patrol_plans", "patrol_stops", "patrol_reports"} <= set(names)
    with reopened.engine.begin() as conn:
        migrate(conn)  # again: nothing to do, no error


def test_reopened_plan_gives_back_the_same_routes_and_sheets(tmp_store):
    plan = _plan()
    plan_id = save_plan(tmp_store, plan, name="Tournée", walking=WALK)
    again = plan_of(load_plan(tmp_store, plan_id))
    assert [(s.team, s.order, s.target, s.arrival, s.departure) for r in again.routes for s in r.stops] == \
        [(s.team, s.order, s.target, s.arrival, s.departure) for r in plan.routes for s in r.stops]
    assert [r.back_at for r in again.routes] == [r.back_at for r in plan.routes]
    assert again.summary()["visited"] == plan.summary()["visited"]
    assert [(d.target, d.reason) for d in again.dropped] == [(d.target, d.reason) for d in plan.dropped]
