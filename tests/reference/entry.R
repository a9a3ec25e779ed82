# Golden values for delayed entry (left truncation): cohort_explorer.stats.entry and the Cox
# model's counting-process risk sets (tests/test_entry.py).
#
# Run from the repository root:   Rscript tests/reference/entry.R [OUT_DIR]
# (OUT_DIR defaults to tests/reference). Needs R with survival 3.5.3 and jsonlite.
# Writes tests/reference/data/entry_<name>.csv (inputs: entry, time, event, group, x) and
# tests/reference/entry.json.
#
# Conventions recorded:
#   * survfit(Surv(entry, time, event) ~ 1, conf.type = "log-log" | "log" | "plain") per group:
#     time, surv, std.err (of log S), lower, upper, n.risk; quantile(fit, .5) with its CI;
#     summary(fit, times = t, extend = TRUE): surv, lower, upper, n.risk.
#   * log-rank on the risk sets {entry < t <= time}: survdiff has no counting-process form, so
#     logrank_entry() below writes survdiff's formula (O - E, hypergeometric variance) with
#     those risk sets; with all entries 0 it reproduces survdiff (checked below, stopifnot).
#   * coxph(Surv(entry, time, event) ~ group + x, ties = "efron"): coef, se, the
#     likelihood-ratio test and the concordance.
#   * cox.zph(fit) (transform = "km", terms = TRUE: the factor group as one test) of that
#     counting-process model: chisq, df, p per term and GLOBAL; cox.zph(fit, terms = FALSE):
#     $x (1 - KM(t-) of the delayed-entry KM), $time, $y per coefficient, diag($var).
#   * myeloma (survival): year of diagnosis in quartiles (quantile type 7, right-closed);
#     ignoring entry, Q2's median is 1080 days and HR Q2 vs Q1 0.76; with entry 784 and 0.91.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

stopifnot(packageVersion("survival") == "3.5.3")

.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))

logrank_entry <- function(entry, time, event, group) {
  levels <- sort(unique(group))
  k <- length(levels)
  death_times <- sort(unique(time[event == 1]))
  obs <- expd <- numeric(k)
  v <- matrix(0, k, k)
  for (t in death_times) {
    risk <- entry < t & time >= t
    n <- sapply(levels, function(g) sum(risk & group == g))
    d <- sapply(levels, function(g) sum(time == t & event == 1 & group == g))
    N <- sum(n); D <- sum(d)
    obs <- obs + d
    expd <- expd + D * n / N
    if (N > 1) v <- v + D * (N - D) / (N - 1) * (diag(n / N, k) - outer(n / N, n / N))
  }
  keep <- 2:k
  diff <- (obs - expd)[keep]
  stat <- drop(diff %*% solve(v[keep, keep, drop = FALSE], diff))
  list(statistic = stat, df = k - 1, p = pchisq(stat, k - 1, lower.tail = FALSE),
       observed = obs, expected = expd)
}

zph_record <- function(fit) {
  z <- cox.zph(fit)
  r <- cox.zph(fit, terms = FALSE)
  list(tests = rownames(z$table), chisq = unname(z$table[, "chisq"]),
       df = unname(z$table[, "df"]), p = unname(z$table[, "p"]),
       x = r$x, time = r$time,
       y = lapply(seq_len(ncol(r$y)), function(i) unname(r$y[, i])),
       var = unname(diag(r$var)))
}

# ---------------------------------------------------------------- datasets
m <- myeloma
breaks <- quantile(m$year, c(0, .25, .5, .75, 1), type = 7)
mye <- data.frame(entry = m$entry, time = m$futime, event = m$death,
                  group = as.character(cut(m$year, breaks, include.lowest = TRUE,
                                           labels = paste0("Q", 1:4))),
                  x = m$year)

set.seed(20240612)
n <- 60
tie_time <- sample(1:12, n, replace = TRUE)
tie_entry <- pmax(0, tie_time - sample(1:8, n, replace = TRUE))  # enters at others' times
ties <- data.frame(entry = tie_entry, time = tie_time,
                   event = rbinom(n, 1, 0.6), group = sample(c("a", "b", "c"), n, TRUE),
                   x = round(rnorm(n), 1))

datasets <- list(myeloma = mye, ties = ties)
landmarks <- list(myeloma = c(0, 365, 730, 1095, 1826, 9000), ties = c(0, 1, 2.5, 6, 12, 20))

# survdiff's own answer when nobody enters late: the formula above must reproduce it
zero <- survdiff(Surv(time, event) ~ group, data = mye)
again <- with(mye, logrank_entry(0 * entry, time, event, group))
stopifnot(abs(zero$chisq - again$statistic) < 1e-8 * zero$chisq)

out <- list(versions = list(survival = as.character(packageVersion("survival"))),
            datasets = list())
for (name in names(datasets)) {
  d <- datasets[[name]]
  file <- paste0("entry_", name, ".csv")
  write.csv(d, file.path(data_dir, file), row.names = FALSE)
  groups <- sort(unique(d$group))
  curves <- list()
  for (g in groups) {
    dg <- d[d$group == g, ]
    curves[[g]] <- list()
    for (ct in c("log-log", "log", "plain")) {
      fit <- survfit(Surv(entry, time, event) ~ 1, data = dg, conf.type = ct)
      q <- quantile(fit, 0.5)
      s <- summary(fit, times = landmarks[[name]], extend = TRUE)
      curves[[g]][[ct]] <- list(
        time = fit$time, surv = fit$surv, std_err = fit$std.err, lower = fit$lower,
        upper = fit$upper, n_risk = fit$n.risk,
        median = list(estimate = unname(q$quantile), lower = unname(q$lower),
                      upper = unname(q$upper)),
        landmarks = list(time = s$time, surv = s$surv, lower = s$lower, upper = s$upper,
                         n_risk = s$n.risk)
      )
    }
  }
  cox <- coxph(Surv(entry, time, event) ~ group + x, data = d, ties = "efron")
  plain <- coxph(Surv(time, event) ~ group + x, data = d, ties = "efron")
  out$datasets[[name]] <- list(
    file = file.path("data", file),
    groups = groups,
    curves = curves,
    logrank = with(d, logrank_entry(entry, time, event, group)),
    logrank_no_entry = list(statistic = survdiff(Surv(time, event) ~ group, data = d)$chisq),
    cox = list(terms = names(coef(cox)), coef = unname(coef(cox)),
               se = unname(sqrt(diag(vcov(cox)))),
               lr = unname(2 * diff(cox$loglik)),
               concordance = unname(cox$concordance["concordance"])),
    cox_no_entry = list(coef = unname(coef(plain))),
    zph = zph_record(cox)
  )
}

write_golden(out, "entry", pretty = TRUE)
