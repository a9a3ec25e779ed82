"""Optional sign-in with Streamlit's built-in OpenID Connect support (``st.login``); off by default.

Not a page (``app.py`` lists the pages explicitly). Sign-in is required when

* ``require_login = true`` in the ``[cohort_explorer]`` section of ``.streamlit/secrets.toml``
  (or of a secrets directory / ``--secrets.files``), or
* the environment variable ``COHORT_EXPLORER_REQUIRE_LOGIN`` is ``1``/``true``/``yes``.

The identity provider itself is configured in the ``[auth]`` section of the same secrets file
(``redirect_uri``, ``cookie_secret``, ``client_id``, ``client_secret``,
``server_metadata_url``); see ``docs/DEPLOYMENT.md``. Until the viewer is signed in, the app
shows only a sign-in button: no dataset is loaded and no page runs. If sign-in is required but
cannot work (no ``[auth]`` section, or a secrets file that cannot be read) the app fails
closed: it shows a message for the administrator and nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import streamlit as st

__all__ = ["ENV_VAR", "login_required", "sign_in_gate"]

ENV_VAR = "COHORT_EXPLORER_REQUIRE_LOGIN"
_TRUE = {"1", "true", "yes", "on"}


def _secrets() -> Mapping | None:
    """The secrets as a dict: ``{}`` without a secrets file, ``None`` if it cannot be read."""
    try:
        return st.secrets.to_dict()
    except FileNotFoundError as error:  # StreamlitSecretNotFoundError
        return {} if getattr(error, "error_id", "") == "no-secrets-found" else None


def login_required(secrets: Mapping | None) -> bool:
    """True when the deployment asks for sign-in (secret setting or environment variable)."""
    if os.environ.get(ENV_VAR, "").strip().lower() in _TRUE:
        return True
    if secrets is None:  # a secrets file exists but is broken: it may have asked for login
        return True
    settings = secrets.get("cohort_explorer") or {}
    return bool(settings.get("require_login", False)) if isinstance(settings, Mapping) else False


def _signed_in() -> bool:
    try:
        return bool(st.user.get("is_logged_in", False))
    except Exception:  # noqa: BLE001 - no user information at all means: not signed in
        return False


def sign_in_gate() -> bool:
    """Show the sign-in screen when needed; True when the app may run for this viewer.

    Call before anything reads data. When it returns False the caller must ``st.stop()``.
    """
    secrets = _secrets()
    if not login_required(secrets):
        return True
    auth = (secrets or {}).get("auth")
    if not auth:
        st.title("Cohort Explorer")
        st.error("Sign-in is required on this server, but it is not configured (no [auth] "
                 "section in the secrets). Administrators: see docs/DEPLOYMENT.md.",
                 icon=":material/lock:")
        return False
    if _signed_in():
        with st.sidebar:
            if st.button("Sign out", key="auth_logout", icon=":material/logout:"):
                st.logout()
        return True
    providers = [k for k, v in auth.items() if isinstance(v, Mapping)]
    st.title("Cohort Explorer")
    st.markdown("This server holds patient data: sign in with your institution's account to "
                "continue.")
    if providers and "client_id" not in auth:  # several named providers: [auth.NAME]
        for name in providers:
            st.button(f"Sign in with {name}", key=f"auth_login_{name}", type="primary",
                      icon=":material/login:", on_click=st.login, args=(name,))
    else:
        st.button("Sign in", key="auth_login", type="primary", icon=":material/login:",
                  on_click=st.login)
    return False


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
