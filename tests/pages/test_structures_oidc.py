"""OpenID Connect sign-in with several structures: an existing account opens its own structure (as a password
sign-in does), a first-time account goes to the structure its claims name; one structure is never named."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from geo.sharing import accounts
from geo.sharing.accounts import LoginRefused
from geo.sharing.oidc import sign_in, structure_for
from geo.store.database import Store
from geo.store.structures import login_structure
from tests.pages.conftest import APP
from tests.pages.test_structures_pages import WORD, shown

MAPPING = {
    "role_claim": "groups",
    "roles": {"veille-coordination": "coordinateur", "veille-equipe": "equipe"},
    "structures": {"pimms-quetigny": "quetigny", "pimms-dijon": "principale"},
}
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "un-secret-de-test",
        "client_id": "veille", "client_secret": "secret", "server_metadata_url":
        "http://127.0.0.1:9/.well-known/openid-configuration"}


def test_existing_account_opens_its_structure_whatever_the_claims(two):
    # an account created by the coordination of quetigny, signing in through the provider for the first time
    accounts.create_user(Store(two.second_url), "agent@quetigny.example", None, role="equipe")
    claims = {"email": "Agent@Quetigny.example", "groups": ["veille-equipe", "pimms-dijon"]}
    user, code = sign_in(two.url, claims, MAPPING)
    assert (user.login, user.role, code) == ("agent@quetigny.example", "equipe", "quetigny")
    assert login_structure(two.url, "agent@quetigny.example") == "quetigny"  # no second account elsewhere
    assert [u["login"] for u in accounts.list_users(Store(two.url))] == ["cheffe.dijon", "reseau"]
    # the claims' role is applied in the account's own structure
    user, code = sign_in(two.url, {**claims, "groups": ["veille-coordination"]}, MAPPING)
    assert (user.role, code) == ("coordinateur", "quetigny")
    assert accounts.get_user(Store(two.second_url), "agent@quetigny.example").role == "coordinateur"
    accounts.set_active(Store(two.second_url), "agent@quetigny.example", False, by="cheffe.quetigny")
    with pytest.raises(LoginRefused, match="désactivé"):
        sign_in(two.url, claims, MAPPING)


def test_first_time_account_goes_to_the_structure_its_claims_name(two):
    user, code = sign_in(two.url, {"email": "new@quetigny.example", "groups": ["veille-equipe", "pimms-quetigny"]},
                         MAPPING)
    assert (user.login, code) == ("new@quetigny.example", "quetigny")
    assert login_structure(two.url, "new@quetigny.example") == "quetigny"
    user, code = sign_in(two.url, {"sub": "dijon-42", "groups": ["veille-equipe", "pimms-dijon"]}, MAPPING)
    assert (user.login, code) == ("dijon-42", None)  # the default structure
    assert login_structure(two.url, "dijon-42") == "principale"
    claims = {"email": "x@example.fr", "groups": ["veille-equipe"]}
    with pytest.raises(LoginRefused, match="aucune structure"):
        sign_in(two.url, claims, MAPPING)
    assert login_structure(two.url, "x@example.fr") is None  # refused: no account made anywhere
    with pytest.raises(LoginRefused, match="plusieurs structures"):
        sign_in(two.url, {**claims, "groups": ["veille-equipe", "pimms-dijon", "pimms-quetigny"]}, MAPPING)
    with pytest.raises(LoginRefused, match=r"'chenove'.*n'existe pas"):
        sign_in(two.url, {**claims, "groups": ["veille-equipe", "g"]}, {**MAPPING, "structures": {"g": "chenove"}})
    # a default structure for claims naming none; without a structures table, the default structure
    assert structure_for(two.url, "y@example.fr", claims, {**MAPPING, "default_structure": "quetigny"}) == "quetigny"
    assert structure_for(two.url, "y@example.fr", claims, {"roles": MAPPING["roles"]}) is None


def test_one_structure_ignores_the_structures_of_the_mapping(db_url, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    user, code = sign_in(db_url, {"email": "a@example.fr", "groups": ["veille-equipe"]}, MAPPING)
    assert (user.login, code) == ("a@example.fr", None)


def _oidc_app(claims: dict) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.secrets["auth"] = AUTH
    at.secrets["veille_oidc"] = MAPPING
    at.user = {"is_logged_in": True, **claims}
    return at.run()


def test_oidc_sign_in_opens_the_structure_in_the_app(two, monkeypatch):
    monkeypatch.setenv("VEILLE_AUTH", "on")
    at = _oidc_app({"email": "cheffe.quetigny", "name": "Cheffe Q", "groups": ["veille-coordination"]})
    assert not at.exception, [e.value for e in at.exception]
    assert "Structure : **Pimms Quetigny**" in [c.value for c in at.sidebar.caption]
    at.switch_page("pages/signalements.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert f"{two.file_reports + 1} signalement(s) trouvé(s)." in [c.value for c in at.caption]

    first = _oidc_app({"email": "nouvelle@quetigny.example", "groups": ["veille-equipe", "pimms-quetigny"]})
    assert "Structure : **Pimms Quetigny**" in [c.value for c in first.sidebar.caption]
    assert login_structure(two.url, "nouvelle@quetigny.example") == "quetigny"

    refused = _oidc_app({"email": "perdu@example.fr", "groups": ["veille-equipe"]})
    assert any("aucune structure" in e.value for e in refused.error), [e.value for e in refused.error]
    assert login_structure(two.url, "perdu@example.fr") is None


def test_oidc_on_one_structure_never_names_it(demo_copy, monkeypatch):
    monkeypatch.setenv("VEILLE_AUTH", "on")
    monkeypatch.setenv("VEILLE_DB_URL", demo_copy)
    at = _oidc_app({"email": "agent@example.fr", "groups": ["veille-equipe"]})
    assert not at.exception, [e.value for e in at.exception]
    assert not WORD.search(shown(at))
    assert accounts.get_user(Store(demo_copy), "agent@example.fr").role == "equipe"
    refused = _oidc_app({"email": "sans.role@example.fr", "groups": ["autre"]})
    assert [e.value for e in refused.error] == \
        ["Votre compte n'a aucun rôle dans Veille territoriale : demandez-le à la coordination."]
    assert not WORD.search(shown(refused))
