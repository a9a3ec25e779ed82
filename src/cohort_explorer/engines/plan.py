"""The one query plan of the pushdown engine, written once for DuckDB and Spark SQL.

``raw`` selects the analysis columns (time ``t``, event ``e``, the grouping value ``gv``, one
value per Cox term), ``base`` adds the exclusion reason ``r`` (0 = in the analysis set, the
first failing check otherwise, in the in-memory engine's order), the group code ``g`` and the
design columns ``d0..``. Before the groups are known a few queries read ``base`` (event codes,
category levels, the moments of ``:z`` terms, the quantile breaks); then one scan collapses
``base`` into its distinct (reason, group, time, event, design row) patterns with their counts
``n`` (:meth:`Plan.patterns_sql`, kept as a table by the source), and everything else is a
weighted sum over ``pat`` — that table, or the rows themselves with ``n`` = 1 when it was not
kept:

* :meth:`Plan.counts_sql` — rows and events per (group, time): Kaplan–Meier, medians,
  landmarks, RMST, reverse-KM follow-up and the log-rank test;
* :meth:`Plan.cox_sums_sql` — per time, for one Newton step at ``beta``: the sums of
  ``exp(eta)``, ``z exp(eta)``, ``z z' exp(eta)`` over all rows and over the events, the
  event count and the events' sums of ``eta`` and ``z`` (Efron's partial likelihood, score
  and information follow from their reverse cumulative sums, :mod:`.reduce`);
* :meth:`Plan.rows_sql` — the rows again (each pattern ``n`` times) for the seeded sample.

Column names enter only through :meth:`Dialect.quote`, values only as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Plan", "Term"]

INF = "1.7976931348623157e308"  # abs(x) > this: infinite (a constant, not data)


@dataclass
class Term:
    """One Cox term: ``kind`` numeric/log2/z/cat, its column and (cat) raw values per level."""

    column: str
    kind: str
    name: str
    levels: list = field(default_factory=list)  # cat: [(label, [raw values]), ...], reference first
    text: bool = False
    mean: float = 0.0
    sd: float = 1.0


@dataclass
class Plan:
    dialect: object
    relation: str
    time_col: str
    event_col: str
    event_value: object = None  # None: 0/1 column; else the value marking an event
    event_kind: str = "numeric"
    group_col: str | None = None
    group_kind: str = "none"  # none | category | quantile
    group_text: bool = False
    group_levels: list = field(default_factory=list)  # category: [(label, [raw values])]
    breaks: list = field(default_factory=list)  # quantile: upper bounds of all but the last
    group_kind_rule: str = ""  # quantile: quartiles | tertiles | median | q1-vs-rest
    extent: tuple = ()  # quantile: (minimum, maximum) of the grouping column
    terms: list[Term] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    patterns: str | None = None  # quoted name of the kept table of :meth:`patterns_sql`

    # ------------------------------------------------------------------ building blocks
    def q(self, name: str) -> str:
        return self.dialect.quote(name)

    def p(self, key: str, value) -> str:
        self.params[key] = value
        return self.dialect.param(key)

    def _event(self) -> str:
        col = self.q(self.event_col)
        if self.event_kind == "bool":
            if self.event_value is None:
                return f"CASE WHEN {col} THEN 1.0 WHEN NOT {col} THEN 0.0 END"
            want = str(self.event_value).strip().lower() in ("true", "1")
            return f"CASE WHEN {col} IS NULL THEN NULL WHEN {col} = {self.p('ev', want)} " \
                   "THEN 1.0 ELSE 0.0 END"
        if self.event_value is None:
            return f"CAST({col} AS DOUBLE)"
        if self.event_kind == "numeric":
            return (f"CASE WHEN {col} IS NULL OR isnan(CAST({col} AS DOUBLE)) THEN NULL "
                    f"WHEN CAST({col} AS DOUBLE) = {self.p('ev', float(self.event_value))} "
                    "THEN 1.0 ELSE 0.0 END")
        return (f"CASE WHEN {col} IS NULL THEN NULL WHEN trim(CAST({col} AS STRING)) = "
                f"{self.p('ev', str(self.event_value))} THEN 1.0 ELSE 0.0 END")

    def _in(self, expr: str, values, prefix: str) -> str:
        marks = ", ".join(self.p(f"{prefix}_{i}", v) for i, v in enumerate(values))
        return f"{expr} IN ({marks})"

    def _group_code(self) -> str:
        if self.group_kind == "none":
            return "0"
        if self.group_kind == "quantile":
            whens = " ".join(f"WHEN gv <= {self.p(f'b{i}', float(b))} THEN {i}"
                             for i, b in enumerate(self.breaks))
            return f"CASE WHEN gv IS NULL OR isnan(gv) THEN NULL {whens} ELSE {len(self.breaks)} END"
        if not self.group_levels:  # levels not read yet
            return "CAST(NULL AS INT)"
        whens = " ".join(f"WHEN {self._in('gv', raw, f'g{i}')} THEN {i}"
                         for i, (_, raw) in enumerate(self.group_levels))
        return f"CASE {whens} END"

    def _group_value(self) -> str:
        col = self.q(self.group_col)
        if self.group_kind == "quantile" or not self.group_text:
            return f"CAST({col} AS DOUBLE)" if self.group_kind == "quantile" else col
        return f"trim(CAST({col} AS STRING))"

    def _term_value(self, j: int, term: Term) -> str:
        col = self.q(term.column)
        if term.kind == "cat":
            return f"trim(CAST({col} AS STRING))" if term.text else col
        return f"CAST({col} AS DOUBLE)"

    def _term_invalid(self, j: int, term: Term) -> list[tuple[str, str]]:
        """(condition, reason) pairs of term ``j`` in the in-memory order."""
        v = f"v{j}"
        if term.kind == "cat":
            return [(f"{v} IS NULL", f"missing {term.column}")]
        missing = f"{v} IS NULL OR isnan({v})"
        if term.kind == "log2":
            return [(missing, f"missing {term.column}"),
                    (f"abs({v}) > {INF} OR {v} <= 0", f"log2 of value <= 0 in {term.column}")]
        return [(f"{missing} OR abs({v}) > {INF}", f"missing {term.column}")]

    def reasons(self) -> list[tuple[str, str]]:
        """Exclusion checks in order (the first failing one counts), as ``analysis_set``."""
        out = [("t IS NULL OR isnan(t)", "missing time"), (f"abs(t) > {INF}", "infinite time"),
               ("t < 0", "negative time"), ("e IS NULL OR isnan(e)", "missing event")]
        if self.group_kind == "quantile":
            out.append(("gv IS NULL OR isnan(gv)", f"missing {self.group_col}"))
        elif self.group_kind == "category":
            out.append(("gv IS NULL", f"missing {self.group_col}"))
        for j, term in enumerate(self.terms):
            out += self._term_invalid(j, term)
        return out

    def design(self) -> list[tuple[str, str]]:
        """(name, SQL expression over ``raw``/``g``) per Cox coefficient, in design order."""
        cols = []
        if self.group_kind != "none" and len(self.group_labels()) > 1:
            cols += [(f"{self.group_col}={label}", f"CASE WHEN g = {i} THEN 1.0 ELSE 0.0 END")
                     for i, label in enumerate(self.group_labels()) if i > 0]
        for j, term in enumerate(self.terms):
            v = f"v{j}"
            if term.kind == "cat":
                cols += [(f"{term.column}={label}",
                          f"CASE WHEN {self._in(v, raw, f'c{j}_{i}')} THEN 1.0 ELSE 0.0 END")
                         for i, (label, raw) in enumerate(term.levels) if i > 0]
            elif term.kind == "log2":
                cols.append((term.name, f"CASE WHEN {v} > 0 THEN log2({v}) END"))
            elif term.kind == "z":
                cols.append((term.name, f"({v} - {self.p(f'zm{j}', term.mean)}) / "
                                        f"{self.p(f'zs{j}', term.sd)}"))
            else:
                cols.append((term.name, v))
        return cols

    def group_labels(self) -> list[str]:
        if self.group_kind == "category":
            return [label for label, _ in self.group_levels]
        return getattr(self, "labels", ["All"])

    def base(self, with_design: bool = True) -> str:
        """``WITH raw AS (...), base AS (...)``: the common table expressions of every query."""
        raw = [f"CAST({self.q(self.time_col)} AS DOUBLE) AS t", f"{self._event()} AS e"]
        if self.group_kind != "none":
            raw.append(f"{self._group_value()} AS gv")
        raw += [f"{self._term_value(j, t)} AS v{j}" for j, t in enumerate(self.terms)]
        checks = self.reasons()
        reason = "CASE " + " ".join(f"WHEN {cond} THEN {i + 1}"
                                    for i, (cond, _) in enumerate(checks)) + " ELSE 0 END"
        base = ["raw.*", f"{reason} AS r", f"{self._group_code()} AS g"]
        if with_design:
            base += [f"{expr} AS d{k}" for k, (_, expr) in enumerate(self.design())]
        return (f"WITH raw AS (SELECT {', '.join(raw)} FROM {self.relation}), "
                f"base AS (SELECT {', '.join(base)} FROM raw)")

    # ------------------------------------------------------------------ queries
    def distinct_sql(self, expr: str, limit: int) -> str:
        """Distinct values of a ``raw`` column among rows valid so far (up to ``limit``)."""
        self.params = {}
        return (f"{self.base(False)} SELECT DISTINCT {expr} FROM base WHERE r = 0 "
                f"AND {expr} IS NOT NULL LIMIT {int(limit)}")

    def order_stats_sql(self, positions: list[int]) -> str:
        """Values at 1-based ``positions`` of the sorted grouping values of the analysis set:
        rows ``(value, last position, count)`` of the distinct values whose run of positions
        holds one of ``positions`` (only the distinct values are sorted, not the rows)."""
        self.params = {}
        hits = " OR ".join(f"(upto - c < {m} AND upto >= {m})"
                           for m in (self.p(f"k{i}", int(k)) for i, k in enumerate(positions)))
        return (f"{self.base(False)}, counted AS (SELECT gv, COUNT(*) AS c FROM base WHERE "
                "r = 0 GROUP BY gv), ranked AS (SELECT gv, c, SUM(c) OVER (ORDER BY gv ROWS "
                "BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto FROM counted) "
                f"SELECT gv, upto, c FROM ranked WHERE {hits}")

    @staticmethod
    def order_stats_from(rows, positions: list[int]) -> dict[int, float]:
        """Positions -> values from the rows of :meth:`order_stats_sql`."""
        out = {}
        for value, upto, count in rows:
            out.update({k: value for k in positions if int(upto) - int(count) < k <= int(upto)})
        return out

    def order_stats_disc_sql(self, positions: list[int], n: int) -> str:
        """DuckDB: the same values by one ``quantile_disc`` (its element ceil(q n) - 1, found
        without a full sort), with q = (k - 1/2) / n for the 1-based position k."""
        self.params = {}
        marks = ", ".join(self.p(f"q{i}", (k - 0.5) / n) for i, k in enumerate(positions))
        return f"{self.base(False)} SELECT quantile_disc(gv, [{marks}]) FROM base WHERE r = 0"

    def count_sql(self) -> str:
        self.params = {}
        return f"{self.base(False)} SELECT COUNT(*) FROM base WHERE r = 0"

    def moments_sql(self, column: str) -> str:
        self.params = {}
        return (f"{self.base(False)} SELECT AVG({column}), stddev_samp({column}) FROM base "
                "WHERE r = 0")

    # ------------------------------------------------------------------ after the grouping
    def columns(self) -> list[str]:
        """The columns of :meth:`patterns_sql` other than ``r`` and ``n``."""
        return ["t", "e", "g"] + [f"d{k}" for k in range(len(self.design()))]

    def _keys(self) -> tuple[list[tuple[str, str]], list[str]]:
        """How the patterns table stores the design: (alias, expression over ``base``) of its
        columns beyond ``r, t, e, g`` — one level code ``c<j>`` per categorical term instead
        of its indicator columns, ``d<k>`` for a numeric term — and the expression over those
        columns of each design column ``d0..`` (group indicators from ``g``). Fewer, narrower
        grouping keys make the one big GROUP BY cheaper."""
        keys, design, k = [], [], 0
        if self.group_kind != "none" and len(self.group_labels()) > 1:
            design += [f"CASE WHEN g = {i} THEN 1.0 ELSE 0.0 END"
                       for i in range(1, len(self.group_labels()))]
            k = len(design)
        for j, term in enumerate(self.terms):
            if term.kind == "cat":
                whens = " ".join(f"WHEN {self._in(f'v{j}', raw, f'c{j}_{i}')} THEN {i}"
                                 for i, (_, raw) in enumerate(term.levels))
                keys.append((f"c{j}", f"CASE {whens} END"))
                design += [f"CASE WHEN c{j} = {i} THEN 1.0 ELSE 0.0 END"
                           for i in range(1, len(term.levels))]
                k += len(term.levels) - 1
            else:
                keys.append((f"d{k}", f"d{k}"))
                design.append(f"d{k}")
                k += 1
        return keys, design

    def patterns_sql(self) -> str:
        """The input of every later query, in one scan: the distinct (reason, time, event,
        group, term values) combinations with their numbers of rows ``n`` (rows outside the
        analysis set by reason only). Every later aggregate is a sum over these weighted by
        ``n``; categorical terms, whole-year ages and times in days or tenths of months make
        them far fewer than the rows."""
        self.params = {}
        keys, _ = self._keys()
        cols = [("t", "t"), ("e", "e"), ("g", "g"), *keys]
        keyed = ", ".join(["r"] + [f"CASE WHEN r = 0 THEN {expr} END AS {alias}"
                                   for alias, expr in cols])
        key = ", ".join(["r"] + [alias for alias, _ in cols])
        return (f"{self.base()}, keyed AS (SELECT {keyed} FROM base) "
                f"SELECT {key}, COUNT(*) AS n FROM keyed GROUP BY {key}")

    def _pat(self) -> str:
        """``WITH pat AS (...)``: ``r, t, e, g, d0.., n`` from the table of
        :meth:`patterns_sql` when it was kept (``self.patterns``), else from the rows with
        ``n`` = 1."""
        if self.patterns:
            params, (_, design) = dict(self.params), self._keys()
            self.params = params  # the level codes are in the table: no values needed
            cols = ", ".join(["r", "t", "e", "g", "n"]
                             + [f"{expr} AS d{k}" for k, expr in enumerate(design)])
            return f"WITH pat AS (SELECT {cols} FROM {self.patterns})"
        cols = ", ".join(["r"] + self.columns())
        return f"{self.base()}, pat AS (SELECT {cols}, 1 AS n FROM base)"

    def excluded_sql(self) -> str:
        self.params = {}
        return f"{self._pat()} SELECT r, SUM(n) FROM pat GROUP BY r"

    def counts_sql(self) -> str:
        self.params = {}
        return f"{self._pat()} SELECT g, t, SUM(n), SUM(n * e) FROM pat WHERE r = 0 GROUP BY g, t"

    def scaling_sql(self, p: int) -> str:
        self.params = {}
        parts = [f"SUM(n * d{k}) / SUM(n), "
                 f"SUM(CASE WHEN d{k} IN (-1.0, 0.0, 1.0) THEN 0 ELSE n END)" for k in range(p)]
        return f"{self._pat()} SELECT SUM(n), {', '.join(parts)} FROM pat WHERE r = 0"

    def spread_sql(self, means: list[float]) -> str:
        self.params = {}
        pat = self._pat()
        parts = [f"SUM(n * abs(d{k} - {self.p(f'm{k}', float(m))}))" for k, m in enumerate(means)]
        return f"{pat} SELECT {', '.join(parts)} FROM pat WHERE r = 0"

    def levels_with_events_sql(self, columns: list[int], limit: int | None = None) -> str:
        """Distinct (design values, event) combinations of some design columns."""
        self.params = {}
        cols = ", ".join(f"d{k}" for k in columns)
        tail = "" if limit is None else f" LIMIT {int(limit)}"
        return f"{self._pat()} SELECT DISTINCT {cols}, e FROM pat WHERE r = 0{tail}"

    def cox_sums_sql(self, means, scale, beta) -> str:
        """Per-time Cox sums at ``beta`` (each pattern weighted by its count ``n``)."""
        self.params = {}
        pat = self._pat()
        p = len(beta)
        z = [f"(d{k} - {self.p(f'm{k}', float(means[k]))}) * {self.p(f's{k}', float(scale[k]))} "
             f"AS z{k}" for k in range(p)]
        eta = " + ".join(f"z{k} * {self.p(f'beta{k}', float(beta[k]))}" for k in range(p))
        sums = ["SUM(n)", "SUM(w)"] + [f"SUM(w * z{k})" for k in range(p)]
        sums += [f"SUM(w * z{a} * z{b})" for a in range(p) for b in range(a, p)]
        sums += ["SUM(e * w)"] + [f"SUM(e * w * z{k})" for k in range(p)]
        sums += [f"SUM(e * w * z{a} * z{b})" for a in range(p) for b in range(a, p)]
        sums += ["SUM(n * e)", "SUM(n * e * eta)"] + [f"SUM(n * e * z{k})" for k in range(p)]
        return (f"{pat}, z AS (SELECT t, e, n, {', '.join(z)} FROM pat WHERE r = 0), "
                f"lin AS (SELECT z.*, {eta} AS eta FROM z), "
                f"risk AS (SELECT lin.*, n * exp(eta) AS w FROM lin) "
                f"SELECT t, {', '.join(sums)} FROM risk GROUP BY t")

    def rows_sql(self) -> str:
        """The analysis set's rows (each pattern repeated ``n`` times, numbered by ``i``)."""
        cols = ", ".join(self.columns())
        self.params = {}
        return (f"{self._pat()} SELECT {cols}, {self.dialect.repeat('n')} AS i FROM pat "
                "WHERE r = 0")

    def sample_sql(self, rows: int, n: int, seed: int) -> str:
        """The analysis set's ``n`` rows when ``n <= rows``, else a seeded simple
        random sample of ``rows`` of them: the rows with the smallest hash of (seed, row, copy
        number ``i``) — the same rows on every run and any number of threads. A bound on the
        hash first keeps a little over ``rows`` of them (about ``rows`` + 6 standard
        deviations), so only those are sorted."""
        names = self.columns()
        inner = self.rows_sql()
        cols = ", ".join(names)
        if n <= rows:
            return f"SELECT {cols} FROM ({inner}) AS s"
        share = (rows + 6 * rows**0.5 + 100) / n
        h = self.dialect.row_hash(seed, [*names, "i"])
        return (f"SELECT {cols} FROM (SELECT {cols}, {h} AS h FROM ({inner}) AS s) AS k "
                f"WHERE h <= {self.dialect.hash_bound(share)} ORDER BY h, {cols} "
                f"LIMIT {int(rows)}")
