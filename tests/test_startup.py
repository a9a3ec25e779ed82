"""Start-up stays light: the CLI parses options before the engine (numpy/pandas/scipy) loads,
and the scipy.special tails used instead of scipy.stats give identical numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from cohort_explorer.stats import distributions as dist

HEAVY = ("numpy", "pandas", "scipy", "pyarrow", "plotly", "streamlit", "duckdb", "pyspark")


def test_importing_the_cli_loads_no_heavy_package():
    code = ("import sys, cohort_explorer.cli; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_and_help_do_not_load_the_engine():
    code = ("import sys\nfrom cohort_explorer import cli\n"
            "for argv in (['--version'], ['--help'], ['analyze', '--help']):\n"
            "    try:\n        cli.main(argv)\n    except SystemExit:\n        pass\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip().splitlines()[-1] == "[]"
    assert "cohort-explorer 0.1.0" in out.stdout


X = np.array([-40.0, -8.5, -1.959963984540054, -0.3, 0.0, 1e-300, 0.7, 1.96, 3.1, 9.0, 38.5,
              np.inf, -np.inf, np.nan])


def test_normal_tails_equal_scipy_stats_bit_for_bit():
    np.testing.assert_array_equal(dist.norm_sf(X), stats.norm.sf(X))
    np.testing.assert_array_equal(dist.norm_cdf(X), stats.norm.cdf(X))
    q = np.array([0.0, 1e-12, 0.025, 0.5, 0.975, 0.995, 1.0])
    np.testing.assert_array_equal(dist.norm_ppf(q), stats.norm.ppf(q))


@pytest.mark.parametrize("df", [1, 2, 3, 5, 12])
def test_chi2_tail_equals_scipy_stats_bit_for_bit(df):
    x = np.array([-1.0, 0.0, 1e-9, 0.5, 3.84, 10.3, 85.0, 1500.0, 185568.4, np.inf, np.nan])
    np.testing.assert_array_equal(dist.chi2_sf(x, df), stats.chi2.sf(x, df))
    assert dist.chi2_sf(10.3, df) == float(stats.chi2.sf(10.3, df))


def test_a_plain_analysis_never_imports_scipy_stats():
    """``scipy.stats`` costs about half a second to import: KM, log-rank, Cox and the PH test
    (and the modules they import) use the ``scipy.special`` tails; only Table 1, the BH
    adjustment and the pairwise log-rank import ``scipy.stats``, when they run."""
    lung = "tests/reference/data/analysis_lung.csv"
    code = ("import sys\nfrom cohort_explorer import cli\n"
            f"cli.main(['analyze', {lung!r}, '--time', 'time', '--event', 'status=2',"
            " '--group-by', 'sex', '--covariates', 'age,ph.ecog'])\n"
            "print('scipy.stats' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    assert '"cox"' in out.stdout
    assert out.stderr.strip().splitlines()[-1] == "False"


def test_the_cli_keeps_freed_memory_on_glibc():
    """``analyze`` asks glibc to reuse freed blocks (fewer page faults); run in a child process
    because the setting lasts for the process."""
    import platform

    code = ("from cohort_explorer.allocator import keep_freed_memory\n"
            "print(keep_freed_memory())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert out.stdout.strip() == str(expected)


def test_software_versions_are_the_installed_distributions():
    from importlib.metadata import version

    from cohort_explorer.analysis.analyze import software_versions

    found = software_versions()
    for name in ("numpy", "pandas", "scipy"):
        assert found[name] == version(name)


def test_the_cli_parses_csv_on_malloc():
    """``analyze`` puts Arrow's allocations on malloc (child process: the pool lasts)."""
    code = ("import pyarrow as pa\nfrom cohort_explorer.allocator import arrow_on_malloc\n"
            "print(arrow_on_malloc(), pa.default_memory_pool().backend_name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "system"]
