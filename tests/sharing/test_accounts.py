"""Accounts: argon2 hashes, refused and throttled logins, expiring sessions, roles."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from geo.errors import InputError
from geo.sharing import accounts
from geo.sharing.accounts import LoginRefused, LoginThrottled
from geo.sharing.config import SharingSettings, load_sharing_settings
from geo.sharing.roles import may_do, may_open, pages_for
from geo.store.accounts_schema import users
from geo.store.database import Store

SETTINGS = SharingSettings(session_minutes=30, max_failures=5, failure_window_minutes=15)
T0 = 1_800_000_000


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'a.sqlite'}")


def test_password_is_stored_as_an_argon2id_hash_and_checked(store):
    accounts.create_user(store, "Alice", "un-mot-de-passe-long", role="coordinateur")
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.login == "alice")).scalar()
    assert stored.startswith("$argon2id$") and "un-mot-de-passe-long" not in stored
    user = accounts.authenticate(store, "alice", "un-mot-de-passe-long", settings=SETTINGS, now=T0)
    assert (user.login, user.role) == ("alice", "coordinateur")


def test_wrong_password_and_unknown_login_are_refused_alike(store):
    accounts.create_user(store, "alice", "un-mot-de-passe-long", role="equipe")
    with pytest.raises(LoginRefused) as wrong:
        accounts.authenticate(store, "alice", "un-mot-de-passe-faux", settings=SETTINGS, now=T0)
    with pytest.raises(LoginRefused) as unknown:
        accounts.authenticate(store, "bob", "un-mot-de-passe-long", settings=SETTINGS, now=T0)
    assert str(wrong.value) == str(unknown.value) == "Identifiant ou mot de passe incorrect."


def test_after_five_wrong_passwords_even_the_right_one_is_refused_until_the_window_passes(store):
    accounts.create_user(store, "alice", "un-mot-de-passe-long", role="equipe")
    for i in range(5):
        with pytest.raises(LoginRefused) as exc:
            accounts.authenticate(store, "alice", f"faux-{i}-xxxxxxxx", settings=SETTINGS, now=T0 + i)
        assert not isinstance(exc.value, LoginThrottled)
    with pytest.raises(LoginThrottled) as throttled:
        accounts.authenticate(store, "alice", "un-mot-de-passe-long", settings=SETTINGS, now=T0 + 10)
    assert 0 < throttled.value.retry_after <= 15 * 60
    assert "Trop de tentatives" in str(throttled.value)
    # the throttled attempt itself is not counted as a wrong password; once the window has passed, it works
    user = accounts.authenticate(store, "alice", "un-mot-de-passe-long", settings=SETTINGS, now=T0 + 15 * 60 + 5)
    assert user.login == "alice"


def test_throttling_is_per_login(store):
    accounts.create_user(store, "alice", "un-mot-de-passe-long", role="equipe")
    accounts.create_user(store, "bob", "un-autre-mot-de-passe", role="equipe")
    for i in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate(store, "alice", "faux-faux-faux", settings=SETTINGS, now=T0 + i)
    assert accounts.authenticate(store, "bob", "un-autre-mot-de-passe", settings=SETTINGS, now=T0 + 6).login == "bob"


def test_a_session_past_its_lifetime_is_over(store):
    user = accounts.create_user(store, "alice", "un-mot-de-passe-long", role="equipe")
    token = accounts.open_session(store, user, settings=SETTINGS, now=T0)
    assert accounts.session_user(store, token, now=T0 + 29 * 60) == user
    assert accounts.session_user(store, token, now=T0 + 30 * 60) is None
    assert accounts.session_user(store, "not-a-token", now=T0) is None


def test_logout_and_disabling_end_sessions(store):
    user = accounts.create_user(store, "alice", "un-mot-de-passe-long", role="equipe")
    token = accounts.open_session(store, user, settings=SETTINGS, now=T0)
    accounts.close_session(store, token)
    assert accounts.session_user(store, token, now=T0 + 1) is None
    token = accounts.open_session(store, user, settings=SETTINGS, now=T0)
    accounts.set_active(store, "alice", False, by="coord")
    assert accounts.session_user(store, token, now=T0 + 1) is None
    with pytest.raises(LoginRefused):
        accounts.authenticate(store, "alice", "un-mot-de-passe-long", settings=SETTINGS, now=T0 + 2)
    assert [e["action"] for e in accounts.read_audit(store)][:1] == ["user_disabled"]


@pytest.mark.parametrize(("login", "password", "role", "partner", "message"), [
    ("alice", "court", "equipe", None, "trop court"),
    ("alice", "un-mot-de-passe-long", "chef", None, "rôle inconnu"),
    ("alice", "un-mot-de-passe-long", "partenaire", None, "rattaché à un partenaire"),
    ("alice", "un-mot-de-passe-long", "equipe", "ville", "seul un compte"),
    ("a b", "un-mot-de-passe-long", "equipe", None, "identifiant attendu"),
])
def test_bad_accounts_are_refused_with_a_french_message(store, login, password, role, partner, *, message):
    with pytest.raises(InputError, match=message):
        accounts.create_user(store, login, password, role=role, partner_id=partner)
    assert accounts.count_users(store) == 0


def test_a_login_is_taken_once(store):
    accounts.create_user(store, "alice", "un-mot-de-passe-long", role="equipe")
    with pytest.raises(InputError, match="existe déjà"):
        accounts.create_user(store, "ALICE", "un-mot-de-passe-long", role="equipe")


def test_roles_open_their_pages_only():
    assert pages_for("partenaire", ["accueil", "carte", "saisie", "import_donnees", "partage", "comptes",
                                    "partenaire"]) == ["partenaire"]
    assert not may_open("equipe", "partage") and not may_open("equipe", "import_donnees")
    assert may_open("equipe", "saisie") and may_open("coordinateur", "partage")
    assert not may_open(None, "accueil")
    assert may_open("coordinateur", "page_inconnue_xyz") and not may_open("equipe", "page_inconnue_xyz")
    assert may_do("coordinateur", "edit_routing") and not may_do("equipe", "edit_routing")
    assert not may_do("partenaire", "enter_report")


def test_settings_are_read_and_checked():
    assert load_sharing_settings({}) == SharingSettings()
    assert load_sharing_settings({"VEILLE_AUTH": "off", "VEILLE_SNAP_METRES": "250"}).snap_metres == 250
    with pytest.raises(InputError, match="VEILLE_AUTH"):
        load_sharing_settings({"VEILLE_AUTH": "peut-être"})
    with pytest.raises(InputError, match="au moins"):
        load_sharing_settings({"VEILLE_SNAP_METRES": "1"})


MAPPING = {"role_claim": "groups", "roles": {"g-coord": "coordinateur", "g-equipe": "equipe", "g-part": "partenaire"},
           "partners": {"org-ville": "ville-proprete"}}


def test_oidc_claims_map_to_roles_the_strongest_winning():
    from geo.sharing.oidc import role_from_claims

    assert role_from_claims({"groups": ["g-equipe", "g-coord"]}, MAPPING) == ("coordinateur", None)
    assert role_from_claims({"groups": "g-equipe"}, MAPPING) == ("equipe", None)
    assert role_from_claims({"groups": ["g-part", "org-ville"]}, MAPPING) == ("partenaire", "ville-proprete")
    assert role_from_claims({"groups": ["g-part"]}, MAPPING) is None  # a partner needs its organisation
    assert role_from_claims({"groups": ["autre"]}, MAPPING) is None
    assert role_from_claims({}, MAPPING) is None


def test_oidc_accounts_follow_the_claims(store):
    user = accounts.ensure_external_user(store, "Anne@Exemple.fr", role="equipe")
    assert user.login == "anne@exemple.fr" and accounts.get_user(store, "anne@exemple.fr").role == "equipe"
    accounts.ensure_external_user(store, "anne@exemple.fr", role="coordinateur")
    assert accounts.get_user(store, "anne@exemple.fr").role == "coordinateur"
    with pytest.raises(LoginRefused):  # no password: never through the form
        accounts.authenticate(store, "anne@exemple.fr", "", settings=SETTINGS, now=T0)
    accounts.set_active(store, "anne@exemple.fr", False, by="coord")
    with pytest.raises(LoginRefused, match="désactivé"):
        accounts.ensure_external_user(store, "anne@exemple.fr", role="equipe")
