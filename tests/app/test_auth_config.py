"""Issue 5, deployment hardening: optional OpenID Connect sign-in (config level, AppTest) and the
hardened server configuration / container image.

Sign-in is off by default (the local demo runs at once). With an ``[auth]`` section and
``require_login`` (secrets) or ``COHORT_EXPLORER_REQUIRE_LOGIN=1`` (environment), a viewer who
is not signed in sees a sign-in button and nothing else: no dataset, no page. See
``docs/DEPLOYMENT.md``.
"""

from __future__ import annotations

import re
import tomllib

import pytest
from streamlit.testing.v1 import AppTest
from tests.conftest import ROOT

from cohort_explorer import io as cio

APP = str(ROOT / "app.py")
AUTH = {
    "redirect_uri": "https://cohort.example.org/oauth2callback",
    "cookie_secret": "not-a-real-secret-only-for-tests",
    "client_id": "cohort-explorer",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}
PAGES = ("pages/data.py", "pages/survival.py", "pages/report.py")


def _app(**secrets) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets.update(secrets)
    return at


def _shows_no_data(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert "data_digest" not in at.session_state  # nothing was read
    assert not at.dataframe and not at.table and not at.get("plotly_chart")
    assert not at.file_uploader
    text = "\n".join(str(e.value) for e in list(at.markdown) + list(at.info))
    assert "MM-0" not in text and "rows ×" not in text


def test_without_auth_the_demo_runs(monkeypatch):
    monkeypatch.delenv("COHORT_EXPLORER_REQUIRE_LOGIN", raising=False)
    at = _app()
    at.run()
    assert not at.exception
    assert at.session_state["data_synthetic"] is True
    assert at.dataframe and not any(b.key and b.key.startswith("auth_") for b in at.button)


def test_auth_section_alone_does_not_force_login(monkeypatch):
    """Configuring a provider does not lock the demo: require_login decides."""
    monkeypatch.delenv("COHORT_EXPLORER_REQUIRE_LOGIN", raising=False)
    at = _app(auth=AUTH)
    at.run()
    assert not at.exception and at.session_state["data_synthetic"] is True


@pytest.mark.parametrize("how", ["secret", "environment"])
def test_required_login_shows_only_a_sign_in_button(monkeypatch, how):
    if how == "secret":
        monkeypatch.delenv("COHORT_EXPLORER_REQUIRE_LOGIN", raising=False)
        at = _app(auth=AUTH, cohort_explorer={"require_login": True})
    else:
        monkeypatch.setenv("COHORT_EXPLORER_REQUIRE_LOGIN", "1")
        at = _app(auth=AUTH)
    at.run()
    assert [b.label for b in at.button] == ["Sign in"]
    assert at.button(key="auth_login").proto.type == "primary"
    _shows_no_data(at)
    for page in PAGES:  # a deep link does not get past the gate either
        at.switch_page(page)
        at.run()
        assert [b.label for b in at.button] == ["Sign in"], page
        _shows_no_data(at)


def test_several_providers_get_one_button_each(monkeypatch):
    monkeypatch.delenv("COHORT_EXPLORER_REQUIRE_LOGIN", raising=False)
    provider = {k: v for k, v in AUTH.items() if k not in ("redirect_uri", "cookie_secret")}
    at = _app(auth={"redirect_uri": AUTH["redirect_uri"], "cookie_secret": "x",
                    "microsoft": provider, "google": provider},
              cohort_explorer={"require_login": True})
    at.run()
    assert sorted(b.label for b in at.button) == ["Sign in with google",
                                                  "Sign in with microsoft"]
    _shows_no_data(at)


def test_required_login_without_provider_fails_closed(monkeypatch):
    monkeypatch.setenv("COHORT_EXPLORER_REQUIRE_LOGIN", "true")
    at = _app()
    at.run()
    assert not at.button
    assert any("not configured" in e.value for e in at.error)
    _shows_no_data(at)


def test_signed_in_user_gets_the_app_and_a_sign_out_button(monkeypatch):
    monkeypatch.delenv("COHORT_EXPLORER_REQUIRE_LOGIN", raising=False)
    at = _app(auth=AUTH, cohort_explorer={"require_login": True})
    at.user = {"is_logged_in": True, "email": "dr.who@example.org", "name": "Dr Who"}
    at.run()
    assert not at.exception
    assert at.session_state["data_synthetic"] is True and at.dataframe
    assert at.sidebar.button(key="auth_logout").label == "Sign out"
    at.switch_page("pages/survival.py")
    at.run()
    assert not at.exception and at.table


# --------------------------------------------------------------------------- server and image
def test_streamlit_config_is_hardened():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("none", False)
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] * 1024 * 1024 == cio.DEFAULT_APP_MAX_BYTES
    assert config["server"].get("enableStaticServing", False) is False
    assert config["runner"]["magicEnabled"] is False
    assert config["client"]["toolbarMode"] == "viewer"


def test_no_secrets_are_committed():
    """secrets.toml is never in the repository or the image."""
    assert ".streamlit/secrets.toml" in (ROOT / ".gitignore").read_text().splitlines()
    assert "secrets.toml" in (ROOT / ".dockerignore").read_text()


def test_docker_image_runs_as_non_root():
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK", text, re.MULTILINE)
    assert "COPY .streamlit" in text or "COPY .streamlit/config.toml" in text


def test_deployment_guide_documents_login():
    guide = (ROOT / "docs" / "DEPLOYMENT.md").read_text()
    for needle in ("[auth]", "st.login", "require_login", "COHORT_EXPLORER_REQUIRE_LOGIN",
                   "redirect_uri", "cookie_secret", "server_metadata_url", "non-root"):
        assert needle in guide, needle
