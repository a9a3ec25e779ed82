"""Report page parts a reviewer needs: the reproducible R script (ZIP) and the data fingerprint.

Thin: the engine writes the files (``present.rscript``); this only offers them. The ZIP holds
the R script and the analysis-set CSV(s) it reads (numbers only: no identifiers, no names).
"""

from __future__ import annotations

import io
import zipfile

import streamlit as st


def fingerprint() -> str | None:
    """SHA-256 of the current data file's bytes."""
    return st.session_state.get("data_digest")


def r_script_zip(df, km_result, hr_result, stem: str, digest: str | None,
                 extra: tuple = ()) -> bytes:
    """The R script and its CSV file(s) in one ZIP (``extra``: the report's other analyses,
    ``[(title, spec, result, kind)]``, see ``present.rscript.r_script_files``)."""
    from cohort_explorer.present.rscript import r_script_files

    cox = None
    if hr_result is not None and hr_result.cox is not None and hr_result.spec is not None:
        cox = (hr_result.spec, hr_result)
    files = r_script_files(df, km_result.spec, km_result, stem=stem,
                           dataset_sha256=digest, cox=cox, extra=extra)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"{stem}/{name}", data)
    return buffer.getvalue()


def r_script_download(df, km_result, hr_result, extra: tuple = ()) -> None:
    digest = fingerprint()  # read now: the download callback runs outside the page
    st.subheader("Reproduce in R")
    st.markdown("An R script and the analysis set it reads (numbers only: no identifiers or "
                "column names). Unzip, then run `Rscript cohort-analysis.R` in its folder: R's "
                "survival package recomputes every number of this report, prints it beside "
                "the app's value and stops with an error if any differs.")
    st.download_button("Download the R script and its data (.zip)",
                       lambda: r_script_zip(df, km_result, hr_result, "cohort-analysis", digest,
                                            tuple(extra)),
                       file_name="cohort-analysis-R.zip", mime="application/zip",
                       key="report_r_zip", on_click="ignore")
    if digest:
        st.caption(f"Dataset SHA-256: {digest}")


# --------------------------------------------------------------------------- shared link
LINK_PARAM = "data_sha256"  # the URL carries the data's fingerprint, never the data
_LINK_KEY = "app_link_sha256"


def remember_link_fingerprint(params) -> None:
    """Once per session (with the link's choices): keep the fingerprint the link was made on."""
    value = params.get(LINK_PARAM)
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        st.session_state[_LINK_KEY] = value


def warn_if_other_data() -> None:
    """Say so when a shared link was made on other data than the data loaded now."""
    linked = st.session_state.get(_LINK_KEY)
    current = fingerprint()
    if linked is None or current is None or linked == current:
        return
    st.warning(f"This link was made on other data (SHA-256 {linked[:12]}…); the data loaded now "
               f"are {current[:12]}…. Its choices are applied where they fit, but the numbers "
               "are not the ones it was shared with: load the file it was made on.",
               icon=":material/warning:")


def link_fingerprint() -> dict[str, str]:
    """The URL parameter of the current data's fingerprint."""
    current = fingerprint()
    return {LINK_PARAM: current} if current else {}


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
