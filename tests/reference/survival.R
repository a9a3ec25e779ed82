# Golden values for cohort_explorer.stats (km, logrank) (tests/test_survival.py, tests/test_logrank.py).
#
# Run from the repository root:   Rscript tests/reference/survival.R
# Needs R with survival 3.5.3 and jsonlite.
# Writes tests/reference/data/surv_<name>.csv (inputs: time, event, group[, strata]) and
# tests/reference/survival.json (everything R says about them).
#
# Conventions recorded (see docs/methods.md):
#   * survfit(Surv(time, event) ~ 1, conf.type = "log-log" | "log" | "plain"), conf.int 0.95
#     (plus log-log at 0.90); std_err is summary()'s SE of S (= surv * fit$std.err).
#   * quantile(fit, c(.25, .5, .75)) -- quantile.survfit rules (flat-stretch midpoints).
#     summary(fit)$table median (survmean's older "minmin" rule) is recorded as
#     table_median only to document where it differs (curve ending flat at 0.5).
#   * summary(fit, times = ..., extend = TRUE): landmarks (our survival is NaN beyond the
#     last time, where R carries the last value forward with n.risk 0).
#   * summary(fit, rmean = tau)$table: rmean, se(rmean).
#   * reverse Kaplan-Meier survfit(Surv(time, 1 - event) ~ 1): quartiles of follow-up.
#   * survdiff(rho = 0), survdiff(~ group + strata(strata)).
#   * trend: NOT our formula re-typed. The score test of a Cox model with the group rank
#     1..k as one numeric term under the exact partial likelihood, evaluated at beta = 0:
#     coxph(Surv ~ score [+ strata(strata)], ties = "exact", iter.max = 0)$score (docs/methods.md).
#     Where no event times are tied it also equals the Breslow score test (coxph_score).
#     survminer's surv_pvalue(test.for.trend = TRUE) (survMisc "tft") computes another statistic
#     (p = 0.032 against 0.731 on cont3) and is not a reference.
#   * pairwise: survdiff on each pair's rows, p.adjust over all pairs with holm, BH and none
#     (what survminer::pairwise_survdiff does).

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

stopifnot(packageVersion("survival") == "3.5.3")

.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))

# ---------------------------------------------------------------- datasets
datasets <- list()

lung_df <- data.frame(time = lung$time, event = as.integer(lung$status == 2),
                      group = lung$sex, strata = ifelse(lung$age >= 60, "old", "young"))
datasets$lung <- lung_df

ecog <- lung[!is.na(lung$ph.ecog), ]
datasets$lung_ecog <- data.frame(time = ecog$time, event = as.integer(ecog$status == 2),
                                 group = ecog$ph.ecog, strata = ecog$sex)

datasets$aml <- data.frame(time = aml$time, event = aml$status,
                           group = as.character(aml$x))

datasets$ovarian <- data.frame(time = ovarian$futime, event = ovarian$fustat,
                               group = ovarian$rx, strata = ovarian$resid.ds)

# heavy ties, time 0 (events and censorings), near-ties merged by survival's timefix
set.seed(20240501)
n <- 300
ties_time <- pmax(0, round(rexp(n, 0.15)))
ties_time[1:6] <- ties_time[1:6] + c(1e-12, -1e-12, 2e-13, 0, 1e-11, 0)  # aeqSurv merges these
ties_time[ties_time < 0] <- 0
datasets$ties <- data.frame(time = ties_time, event = rbinom(n, 1, 0.7),
                            group = sample(c("A", "B", "C"), n, replace = TRUE, prob = c(.5, .3, .2)),
                            strata = sample(c("s1", "s2", "s3"), n, replace = TRUE))

# group C entirely censored (spread over follow-up, so its expected count is > 0)
set.seed(7)
m <- 60
allc <- data.frame(time = round(runif(m, 1, 100), 1), event = rbinom(m, 1, 0.6),
                   group = rep(c("A", "B", "C"), each = m / 3))
allc$event[allc$group == "C"] <- 0L
datasets$allcens <- allc

# group C censored before the first event anywhere: expected 0, survdiff drops it from df
datasets$e0 <- data.frame(time = c(2, 3, 5, 7, 8, 4, 6, 6, 9, 10, 0.5, 1, 1.5),
                          event = c(1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0),
                          group = c(rep("A", 5), rep("B", 5), rep("C", 3)))

# curve flat exactly at 0.5 between t = 5 and t = 8: median (5 + 8) / 2
datasets$flatmid <- data.frame(time = c(1, 2, 3, 4, 5, 6, 8, 9, 10, 12),
                               event = c(1, 1, 1, 1, 1, 0, 1, 1, 0, 1), group = "A")

# curve ends flat at 0.5: median (5 + last time 11) / 2 by quantile.survfit
datasets$flatend <- data.frame(time = c(1, 2, 3, 4, 5, 6, 7, 9, 10, 11),
                               event = c(1, 1, 1, 1, 1, 0, 0, 0, 0, 0), group = "A")

# three groups, continuous times (no tied event times): trend = Cox score test
set.seed(3)
datasets$cont3 <- data.frame(time = rexp(90), event = rbinom(90, 1, 0.8),
                             group = sample(c("A", "B", "C"), 90, replace = TRUE))

# one patient, censored (the lung_ecog group 3 is a single patient with an event)
datasets$one <- data.frame(time = 5, event = 0L, group = "A")

landmark_times <- list(
  lung = c(0, 3, 5, 100, 183, 365, 730, 1022, 1100),
  lung_ecog = c(0, 5, 118, 200, 365, 1100),
  aml = c(0, 4, 5, 12, 30, 48, 161, 200),
  ovarian = c(0, 59, 365, 600, 1227, 1300),
  ties = c(0, 0.5, 1, 3, 7.5, 20, 35, 60),
  allcens = c(0, 1, 25, 50, 99, 150),
  e0 = c(0, 0.5, 1, 4, 6, 11),
  flatmid = c(0, 0.5, 5, 6, 8, 12, 13),
  flatend = c(0, 5, 6, 11, 12),
  cont3 = c(0, 0.1, 0.5, 1, 2, 10),
  one = c(0, 4, 5, 6)
)
rmean_taus <- list(lung = c(365, 1100), lung_ecog = c(365, 1100), aml = c(24, 200),
                   ovarian = c(500, 1300), ties = c(10, 60), allcens = c(50, 150),
                   e0 = c(5, 11), flatmid = c(7, 13), flatend = c(8, 12), cont3 = c(1, 10), one = c(5, 6))

# ---------------------------------------------------------------- helpers
conf_types <- c("log-log", "log", "plain")

km_curve <- function(d, conf_type, conf_int = 0.95) {
  f <- survfit(Surv(time, event) ~ 1, data = d, conf.type = conf_type, conf.int = conf_int)
  list(time = f$time, surv = f$surv, lower = f$lower, upper = f$upper,
       std_err = f$surv * f$std.err, n_risk = f$n.risk, n_event = f$n.event,
       n_censor = f$n.censor)
}

quantiles <- function(f) {
  q <- quantile(f, c(0.25, 0.5, 0.75))
  list(probs = c(0.25, 0.5, 0.75), quantile = unname(q$quantile),
       lower = unname(q$lower), upper = unname(q$upper))
}

landmarks <- function(f, times) {
  s <- summary(f, times = times, extend = TRUE)
  list(time = s$time, surv = s$surv, lower = s$lower, upper = s$upper, n_risk = s$n.risk)
}

rmeans <- function(f, taus) {
  lapply(taus, function(tau) {
    res <- tryCatch({
      tab <- summary(f, rmean = tau)$table
      list(tau = tau, rmean = unname(tab["rmean"]), se = unname(tab["se(rmean)"]))
    }, error = function(e) NULL)
    res
  })
}

curve_record <- function(d, name) {
  out <- list(n = nrow(d), last_time = max(d$time), km = list(), quantile = list(),
              landmarks = list())
  for (ct in conf_types) {
    f <- survfit(Surv(time, event) ~ 1, data = d, conf.type = ct)
    out$km[[ct]] <- km_curve(d, ct)
    out$quantile[[ct]] <- quantiles(f)
    out$landmarks[[ct]] <- landmarks(f, landmark_times[[name]])
  }
  f90 <- survfit(Surv(time, event) ~ 1, data = d, conf.type = "log-log", conf.int = 0.90)
  out$km[["log-log_0.9"]] <- km_curve(d, "log-log", 0.90)
  out$quantile[["log-log_0.9"]] <- quantiles(f90)
  f <- survfit(Surv(time, event) ~ 1, data = d, conf.type = "log-log")
  tab <- summary(f)$table
  out$table_median <- unname(tab["median"])
  out$rmean <- Filter(Negate(is.null), rmeans(f, rmean_taus[[name]]))
  rev_fit <- survfit(Surv(time, 1 - event) ~ 1, data = d)
  out$follow_up <- unname(quantile(rev_fit, c(0.25, 0.5, 0.75), conf.int = FALSE))
  out
}

survdiff_record <- function(sd) {
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  expd <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  df <- sum(expd > 0) - 1
  list(chisq = sd$chisq, df = df, p = pchisq(sd$chisq, df, lower.tail = FALSE),
       observed = unname(obs), expected = unname(expd), var = unname(sd$var))
}

trend_record <- function(d, lev, stratified = FALSE) {
  d$score <- match(d$group, lev)
  f <- if (stratified) {
    Surv(time, event) ~ score + strata(strata)
  } else {
    Surv(time, event) ~ score
  }
  chi <- unname(coxph(f, data = d, ties = "exact", iter.max = 0)$score)
  list(chisq = chi, df = 1, p = pchisq(chi, 1, lower.tail = FALSE))
}

pairwise_record <- function(d) {
  lev <- levels(factor(d$group))
  stats <- list()
  for (j in seq_along(lev)) for (i in seq_along(lev)) if (i > j) {
    sub <- d[d$group %in% lev[c(i, j)], ]
    sd <- survdiff(Surv(time, event) ~ group, data = sub)
    stats[[length(stats) + 1]] <- list(group1 = lev[j], group2 = lev[i], chisq = sd$chisq)
  }
  raw <- sapply(stats, function(s) pchisq(s$chisq, 1, lower.tail = FALSE))
  pv <- function(method) p.adjust(raw, method = method)
  p_none <- pv("none"); p_holm <- pv("holm"); p_bh <- pv("BH")
  for (k in seq_along(stats)) {
    stats[[k]]$p <- p_none[k]; stats[[k]]$p_holm <- p_holm[k]; stats[[k]]$p_bh <- p_bh[k]
  }
  stats
}

# ---------------------------------------------------------------- run
out <- list(r_version = R.version.string, survival = as.character(packageVersion("survival")),
            datasets = list())

for (name in names(datasets)) {
  d <- datasets[[name]]
  csv <- file.path(data_dir, paste0("surv_", name, ".csv"))
  d_out <- d
  d_out$time <- sprintf("%.17g", d$time)
  write.csv(d_out, csv, row.names = FALSE, quote = TRUE)
  lev <- levels(factor(d$group))
  rec <- list(file = paste0("data/surv_", name, ".csv"), levels = lev,
              landmark_times = landmark_times[[name]], curves = list())
  rec$curves[["all"]] <- curve_record(d, name)
  for (g in lev) rec$curves[[as.character(g)]] <- curve_record(d[d$group == g, ], name)
  if (length(lev) >= 2) {
    sd <- survdiff(Surv(time, event) ~ group, data = d)
    rec$logrank <- survdiff_record(sd)
    rec$trend <- trend_record(d, lev)
    if (!any(duplicated(d$time[d$event == 1]))) {
      d$score <- match(d$group, lev)
      rec$trend$coxph_score <- unname(coxph(Surv(time, event) ~ score, data = d,
                                            ties = "breslow")$score)
    }
    rec$pairwise <- pairwise_record(d)
    if (!is.null(d$strata)) {
      sds <- survdiff(Surv(time, event) ~ group + strata(strata), data = d)
      rec$logrank_strata <- survdiff_record(sds)
      rec$trend_strata <- trend_record(d, lev, stratified = TRUE)
    }
  }
  out$datasets[[name]] <- rec
}

write_golden(out, "survival")
cat("wrote", file.path(out_dir, "survival.json"), "\n")
