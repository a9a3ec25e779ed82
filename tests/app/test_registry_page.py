"""Registry page: an admin-configured source (server config) analysed by pushdown; the page
offers the configured names only and shows the engine's aggregate numbers."""

from __future__ import annotations

import pytest
from tests.app.apptest import page, start

from cohort_explorer.analysis import analyze
from cohort_explorer.engines.config import ENV, load_sources
from cohort_explorer.sample import make_sample
from cohort_explorer.spec import AnalysisSpec


@pytest.fixture
def registry(tmp_path, monkeypatch):
    df = make_sample(3000, seed=4)
    path = tmp_path / "registry.parquet"
    df.to_parquet(path)
    config = tmp_path / "sources.toml"
    config.write_text(f'[sources.myeloma]\nengine = "duckdb"\nlocation = "{path}"\n'
                      'label = "Myeloma registry"\nthreads = 1\n'
                      '[sources.bad]\nengine = "sqlite"\nlocation = "/etc/passwd"\n')
    monkeypatch.setenv(ENV, str(config))
    return df


def test_only_configured_duckdb_or_spark_sources_are_listed(registry):
    assert list(load_sources()) == ["myeloma"]
    from cohort_explorer.engines.config import open_configured

    source = open_configured("myeloma", load_sources())
    try:
        assert source.query("SELECT current_setting('threads')") == [(1,)]
    finally:
        source.close()


def test_registry_page_shows_the_pushdown_analysis(registry):
    at = page(start(), "pages/registry.py", timeout=120)
    assert at.selectbox(key="registry_source").options == ["Myeloma registry"]
    at.selectbox(key="registry_time").set_value("pfs_months")
    at.selectbox(key="registry_event").set_value("pfs_event")
    at.selectbox(key="registry_group").set_value("cyto_risk")
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    expected = analyze(registry, AnalysisSpec("pfs_months", "pfs_event", group_by="cyto_risk",
                                              landmarks=(12.0, 36.0)))
    caption = " ".join(c.value for c in at.caption)
    assert f"{expected.n:,} patients, {expected.events:,} events" in caption
    assert "duckdb" in caption
    groups = at.table[0].value
    assert list(groups.iloc[:, 0]) == [g.label for g in expected.groups]
