# Golden values for src/cohort_explorer/cutpoint.py (tests/test_cutpoint.py).
#
# Run: Rscript tests/reference/cutpoint.R [OUT_DIR]
# Writes tests/reference/cutpoint.json and tests/reference/data/cut_*.csv.
#
# maxstat.test(Surv(time, status) ~ x, smethod = "LogRank", pmethod = "Lau94",
#              minprop = 0.1, maxprop = 0.9): the maximally selected, standardised log-rank
# statistic M over the cut points, its estimate (x <= cut vs x > cut), the stats vector at
# every candidate cut and Lausen & Schumacher's (1994) improved Bonferroni p-value.

suppressPackageStartupMessages({
  library(survival)
  library(maxstat)
  library(jsonlite)
})
stopifnot(as.character(packageVersion("survival")) == "3.5.3")

.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))

# ---------------------------------------------------------------- input data
lung0 <- survival::lung
set.seed(20170104)
lung <- data.frame(time = lung0$time, status = lung0$status - 1, age = lung0$age,
                   ph.karno = lung0$ph.karno)
# A biomarker-like variable: log-normal, higher in patients with early events.
early <- lung$status == 1 & lung$time < median(lung$time)
lung$biomarker <- round(2^(rnorm(nrow(lung), 3, 1) + 0.8 * early), 3)
# Pure noise: small M, and Lau94's raw p-value exceeds 1 (reported capped at 1).
lung$noise <- round(rnorm(nrow(lung)), 2)
write.csv(lung, file.path(data_dir, "cut_lung.csv"), row.names = FALSE, na = "")

# Many ties in x (4 values) and in time.
set.seed(20170105)
n <- 200
ties <- data.frame(x = sample(0:3, n, replace = TRUE, prob = c(.15, .35, .3, .2)))
ties$time <- ceiling(rexp(n, 0.1 * exp(0.35 * ties$x)))
ties$status <- rbinom(n, 1, 0.7)
write.csv(ties[, c("time", "status", "x")], file.path(data_dir, "cut_ties.csv"), row.names = FALSE)

# ---------------------------------------------------------------- helpers
record <- function(formula, data, minprop = 0.1, maxprop = 0.9) {
  mt <- maxstat.test(formula, data = data, smethod = "LogRank", pmethod = "Lau94",
                     minprop = minprop, maxprop = maxprop)
  mf <- model.frame(formula, data = data)
  list(n = nrow(mf), minprop = minprop, maxprop = maxprop,
       estimate = unname(mt$estimate), statistic = unname(mt$statistic),
       p_value = unname(mt$p.value), cuts = unname(mt$cuts), stats = unname(mt$stats))
}

result <- list()
result$lung_age <- record(Surv(time, status) ~ age, lung)
result$lung_biomarker <- record(Surv(time, status) ~ biomarker, lung)
result$lung_noise <- record(Surv(time, status) ~ noise, lung)
result$lung_karno <- record(Surv(time, status) ~ ph.karno, lung)
result$ties <- record(Surv(time, status) ~ x, ties)
result$lung_age_wide <- record(Surv(time, status) ~ age, lung, minprop = 0.05, maxprop = 0.95)

# Log-rank scores (exactRankTests::cscores) on the tied data, checked directly.
result$ties_scores <- unname(as.numeric(exactRankTests::cscores(Surv(ties$time, ties$status),
                                                               type = "LogRank")))

result$software <- list(R = R.version.string,
                        maxstat = as.character(packageVersion("maxstat")),
                        survival = as.character(packageVersion("survival")))

write_golden(result, "cutpoint", pretty = TRUE)
