"""Route reports to partners: the routing table (category × quartier → partner, ``*`` for a category's default).

A report goes to the partner of the route naming its category and quartier, else to its category's default
route; with neither it has no partner, which :func:`missing_routes` lists for the coordinator (a configuration
error, never a crash). Reports are routed when stored (:func:`geo.store.workflow_schema.route_reports`, called by
the importer and the field form), again when their category changes (:func:`reroute_reports`), and reports not
yet relayed are routed again when the registry or the table is replaced.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo.errors import InputError
from geo.store import schema
from geo.store.database import Store
from geo.store.workflow_schema import DEFAULT_NEIGHBOURHOOD, route_reports
from geo.store.workflow_schema import partners as partners_table
from geo.store.workflow_schema import routing as routing_table
from geo.taxonomy import Taxonomy
from geo.workflow.partners import Partner, read_partners, read_partners_csv, read_table_file

__all__ = ["ROUTING_COLUMNS", "DEFAULT_NEIGHBOURHOOD", "OUTSIDE_TERRITORY", "read_routing", "read_routing_csv",
           "check_routes", "replace_partners", "replace_routing", "load_registry", "load_registry_files", "route",
           "route_many", "reroute_reports", "missing_routes", "routable_categories", "change_category"]

ROUTING_COLUMNS = ("category", "neighbourhood", "partner")
OUTSIDE_TERRITORY = "(hors territoire)"
"""How :func:`missing_routes` names reports outside every quartier (only a default route reaches them)."""
_MAX_ERRORS = 20


def read_routing(store: Store) -> pd.DataFrame:
    """Return the routing table: ``category``, ``neighbourhood`` (a quartier code or ``*``), ``partner``."""
    query = sa.select(routing_table).order_by(routing_table.c.category, routing_table.c.neighbourhood)
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(ROUTING_COLUMNS), dtype=object)


def read_routing_csv(path: Path | str) -> pd.DataFrame:
    """Read a routing file ``category;neighbourhood;partner`` (not yet checked: see :func:`check_routes`)."""
    return read_table_file(path, ROUTING_COLUMNS)


def routable_categories(taxonomy: Taxonomy) -> list[str]:
    """Return the categories reports of which go to a partner (those with a ``partner_type``)."""
    return [c.code for c in taxonomy.categories.values() if c.partner_type]


def check_routes(routes: pd.DataFrame, *, partner_ids: Iterable[str], taxonomy: Taxonomy,
                 territory: pd.DataFrame | None = None, source: str = "table de routage") -> pd.DataFrame:
    """Check a routing table and return it clean (codes stripped, quartier names replaced by their codes).

    Parameters
    ----------
    routes
        Columns :data:`ROUTING_COLUMNS`; line numbers in messages count the header as line 1.
    partner_ids
        The partners routes may name.
    territory
        Quartiers (``code``, ``name``) routes may name, by code or by name; ``None`` or empty: any code.

    Raises
    ------
    InputError
        Listing every faulty line: unknown category, quartier or partner, or a (category, quartier) given twice.
    """
    missing = [c for c in ROUTING_COLUMNS if c not in routes.columns]
    if missing:
        raise InputError(f"{source} : colonnes manquantes {missing} ; colonnes attendues {';'.join(ROUTING_COLUMNS)}")
    known_partners = set(partner_ids)
    codes: dict[str, str] = {}
    if territory is not None and len(territory):
        for code, name in zip(territory["code"], territory["name"], strict=True):
            codes[str(name).strip().lower()] = str(code)
            codes[str(code).strip().lower()] = str(code)
    errors: list[str] = []
    clean: list[tuple[str, str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(routes[list(ROUTING_COLUMNS)].itertuples(index=False), start=2):
        category, place, partner = ("" if pd.isna(v) else str(v).strip() for v in row)
        if category not in taxonomy.categories:
            errors.append(f"ligne {line} : catégorie inconnue {category!r}")
        place = place or DEFAULT_NEIGHBOURHOOD
        if place != DEFAULT_NEIGHBOURHOOD and codes:
            if place.lower() not in codes:
                errors.append(f"ligne {line} : quartier inconnu {place!r} (un code ou un nom de quartier, "
                              "ou * pour toute la catégorie)")
            place = codes.get(place.lower(), place)
        if partner not in known_partners:
            errors.append(f"ligne {line} : partenaire inconnu {partner!r} (absent du registre des partenaires)")
        key = (category, place)
        if key in seen:
            errors.append(f"ligne {line} : ({category}, {place}) déjà routé ligne {seen[key]}")
        seen.setdefault(key, line)
        clean.append((category, place, partner))
    if errors:
        more = f" (et {len(errors) - _MAX_ERRORS} autre(s))" if len(errors) > _MAX_ERRORS else ""
        raise InputError(f"{source} : " + " ; ".join(errors[:_MAX_ERRORS]) + more + ". Rien n'a été enregistré.")
    return pd.DataFrame(clean, columns=list(ROUTING_COLUMNS), dtype=object)


def _write_partners(conn: sa.Connection, partners: Sequence[Partner]) -> None:
    conn.execute(partners_table.delete())
    if partners:
        conn.execute(partners_table.insert(), [
            {"id": p.id, "name": p.name, "type": p.type or None, "emails": ",".join(p.emails),
             "target_days": p.target_days} for p in partners])


def _write_routes(conn: sa.Connection, routes: pd.DataFrame) -> None:
    conn.execute(routing_table.delete())
    if len(routes):
        conn.execute(routing_table.insert(), routes[list(ROUTING_COLUMNS)].to_dict("records"))


def _reroute_unrelayed(conn: sa.Connection) -> int:
    """Route again the reports not yet relayed (``nouveau``) and those with no partner."""
    table = schema.reports
    return route_reports(conn, where=sa.or_(table.c.status == "nouveau", table.c.partner.is_(None)))


def load_registry(store: Store, partners: Sequence[Partner], routes: pd.DataFrame, *, taxonomy: Taxonomy) -> dict:
    """Replace the partners registry and the routing table together (one transaction), then re-route.

    Reports not yet relayed (``nouveau``) and reports with no partner are routed again; a report already
    relayed keeps the partner it was relayed to.

    Returns
    -------
    dict
        ``partners``, ``routes``, ``rerouted`` (reports visited) and ``missing_routes`` (count).

    Raises
    ------
    InputError
        When the routing table is wrong (see :func:`check_routes`); nothing is changed then.
    """
    ids = [p.id for p in partners]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise InputError(f"identifiants de partenaire en double : {duplicated}. Rien n'a été enregistré.")
    clean = check_routes(routes, partner_ids=ids, taxonomy=taxonomy, territory=store.load_territory())
    with store.transaction() as conn:
        conn.execute(routing_table.delete())
        _write_partners(conn, partners)
        _write_routes(conn, clean)
        rerouted = _reroute_unrelayed(conn)
    return {"partners": len(partners), "routes": len(clean), "rerouted": rerouted,
            "missing_routes": len(missing_routes(store, taxonomy))}


def load_registry_files(store: Store, partners_path: Path | str, routing_path: Path | str | None, *,
                        taxonomy: Taxonomy) -> dict:
    """Load ``PARTNERS.csv`` and, if given, ``ROUTING.csv`` (else keep the current routes) as one change.

    Raises
    ------
    InputError
        When either file is wrong; nothing is changed then.
    """
    partners = read_partners_csv(partners_path)
    if routing_path is None:
        routes = read_routing(store)
        source = "table de routage enregistrée"
    else:
        routes = read_routing_csv(routing_path)
        source = Path(routing_path).name
    clean = check_routes(routes, partner_ids=[p.id for p in partners], taxonomy=taxonomy,
                         territory=store.load_territory(), source=source)
    return load_registry(store, partners, clean, taxonomy=taxonomy)


def replace_partners(store: Store, partners: Sequence[Partner], *, taxonomy: Taxonomy) -> dict:
    """Replace the registry, keeping the routing table (refused if a route names a partner removed)."""
    return load_registry(store, partners, read_routing(store), taxonomy=taxonomy)


def replace_routing(store: Store, routes: pd.DataFrame, *, taxonomy: Taxonomy) -> dict:
    """Replace the routing table, keeping the registry (refused if a route names an unknown partner)."""
    return load_registry(store, read_partners(store), routes, taxonomy=taxonomy)


def _lookup(routes: pd.DataFrame) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    exact, default = {}, {}
    for category, place, partner in routes[list(ROUTING_COLUMNS)].itertuples(index=False):
        if place == DEFAULT_NEIGHBOURHOOD:
            default[category] = partner
        else:
            exact[(category, place)] = partner
    return exact, default


def route(store: Store, category: str, neighbourhood: str | None) -> str | None:
    """Return the id of the partner a report of ``category`` in ``neighbourhood`` goes to, or ``None``.

    ``neighbourhood`` is a quartier code, or ``None`` outside the territory (only a default route applies).
    """
    table = routing_table
    query = (sa.select(table.c.neighbourhood, table.c.partner)
             .where(table.c.category == category,
                    table.c.neighbourhood.in_([DEFAULT_NEIGHBOURHOOD, neighbourhood or DEFAULT_NEIGHBOURHOOD])))
    with store.engine.connect() as conn:
        found = dict(conn.execute(query).all())
    return found.get(neighbourhood) if neighbourhood in found else found.get(DEFAULT_NEIGHBOURHOOD)


def route_many(store: Store, categories: pd.Series, neighbourhoods: pd.Series, *,
               routes: pd.DataFrame | None = None) -> pd.Series:
    """Return the partner id per report (aligned on ``categories``' index; missing where no route applies).

    Parameters
    ----------
    routes
        A routing table to use instead of the stored one (to try an edit before saving it).
    """
    exact, default = _lookup(read_routing(store) if routes is None else routes)
    pairs = pd.DataFrame({"c": categories.to_numpy(), "n": neighbourhoods.to_numpy()}, index=categories.index)
    distinct = pairs.drop_duplicates()
    found = {(c, n): exact.get((c, n), default.get(c)) for c, n in distinct.itertuples(index=False)}
    return pd.Series([found[(c, n)] for c, n in pairs.itertuples(index=False)], index=categories.index,
                     dtype=object, name="partner")


def reroute_reports(conn: sa.Connection, report_ids: Sequence[str]) -> int:
    """Route the given reports again (after their category changed), inside ``conn``'s transaction."""
    done = 0
    for start in range(0, len(report_ids), 500):
        done += route_reports(conn, where=schema.reports.c.id.in_(list(report_ids[start:start + 500])))
    return done


def missing_routes(store: Store, taxonomy: Taxonomy, *, routes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the (category, quartier) pairs of routable categories that no route reaches.

    A category with a default route (``*``) misses nothing; otherwise each quartier without its own route is
    missing, and so are reports outside the territory (:data:`OUTSIDE_TERRITORY`).

    Parameters
    ----------
    routes
        A routing table to check instead of the stored one.

    Returns
    -------
    pandas.DataFrame
        Columns ``category``, ``neighbourhood`` (code, or :data:`OUTSIDE_TERRITORY`) and ``open_reports`` (open
        reports of that pair now without a partner), sorted by category then quartier.
    """
    exact, default = _lookup(read_routing(store) if routes is None else routes)
    places = [*store.load_territory()["code"].astype(str).tolist(), None]
    missing = [(category, place) for category in routable_categories(taxonomy) if category not in default
               for place in places if (category, place) not in exact]
    table = schema.reports
    counts: dict[tuple[str, str | None], int] = {}
    if missing:
        query = (sa.select(table.c.category, table.c.neighbourhood, sa.func.count())
                 .where(table.c.partner.is_(None), table.c.status.in_(sorted(taxonomy.open_statuses)),
                        table.c.category.in_(sorted({c for c, _ in missing})))
                 .group_by(table.c.category, table.c.neighbourhood))
        with store.engine.connect() as conn:
            counts = {(c, n): int(k) for c, n, k in conn.execute(query).all()}
    return pd.DataFrame(
        [(c, OUTSIDE_TERRITORY if n is None else n, counts.get((c, n), 0)) for c, n in missing],
        columns=["category", "neighbourhood", "open_reports"],
    ).astype({"open_reports": "int64"})


def change_category(store: Store, report_ids: Sequence[str], category: str, *, taxonomy: Taxonomy) -> int:
    """Give reports another category (and its registre) and route them again, in one transaction.

    Returns
    -------
    int
        The number of reports changed.

    Raises
    ------
    InputError
        When ``category`` is not a category code of the taxonomy.
    """
    if category not in taxonomy.categories:
        raise InputError(f"catégorie inconnue {category!r} ; attendue l'une de {', '.join(taxonomy.categories)}")
    table = schema.reports
    ids = list(dict.fromkeys(report_ids))
    changed = 0
    with store.transaction() as conn:
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            changed += int(conn.execute(table.update().where(table.c.id.in_(part)).values(
                category=category, registre=taxonomy.registre_of(category),
                updated_at=int(pd.Timestamp.now(tz="UTC").timestamp()))).rowcount)
        reroute_reports(conn, ids)
    return changed
