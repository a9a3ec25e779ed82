# Golden values for cohort_explorer.stats.competing and .fine_gray (tests/test_competing.py).
#
# Run from the repository root:   Rscript tests/reference/competing.R [OUT_DIR]
# (OUT_DIR defaults to tests/reference; inputs are found from the script's location).
# Needs R with survival 3.5.3, cmprsk 2.2-11 and jsonlite.
# Writes tests/reference/data/cr_<name>.csv (inputs: time, state, group[, x]) and
# tests/reference/competing.json.
#
# Conventions recorded:
#   * states: 0 censored, 1 event of interest, 2 competing event.
#   * Aalen-Johansen: survfit(Surv(time, factor(state, 0:2)) ~ 1 per group,
#     conf.type = "log-log" | "log" | "plain"): time, pstate[, 2] (state 1), std.err[, 2],
#     lower[, 2], upper[, 2] (the infinitesimal-jackknife standard error, survival >= 3).
#   * landmarks: summary(fit, times = t) pstate / lower / upper of state 1.
#   * Gray's test: cmprsk::cuminc(time, state, group, cencode = 0)$Tests["1", ].
#   * Fine-Gray: cmprsk::crr(time, state, model.matrix(~ group + x)[, -1], failcode = 1,
#     cencode = 0): coef, se = sqrt(diag(var)) (the sandwich), Wald p.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

stopifnot(packageVersion("survival") == "3.5.3", packageVersion("cmprsk") == "2.2.11")

.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))

# ---------------------------------------------------------------- datasets
# mgus2 (survival): progression to plasma-cell malignancy (1) with death (2) as competing.
mg <- with(mgus2, data.frame(
  time = ifelse(pstat == 1, ptime, futime),
  state = ifelse(pstat == 1, 1, 2 * death),
  group = as.character(sex),
  x = age
))
mg <- mg[complete.cases(mg), ]

# the sample cohort's PFS by cause (1 progression, 2 death) and ISS stage (three groups)
sample <- read.csv(file.path(root_dir, "sample_data", "sample_cohort.csv"))
sm <- data.frame(time = sample$pfs_months, state = sample$pfs_cause,
                 group = sample$iss_stage, x = sample$ikzf1)

# small, hand-made: tied times of every kind, everyone at risk failing at the last time
set.seed(20240611)
n <- 40
tie <- data.frame(
  time = sample(c(1, 2, 3, 5, 8, 13), n, replace = TRUE),
  state = sample(0:2, n, replace = TRUE, prob = c(0.3, 0.4, 0.3)),
  group = sample(c("a", "b"), n, replace = TRUE),
  x = round(rnorm(n), 2)
)
tie <- rbind(tie, data.frame(time = 21, state = c(1, 2), group = c("a", "b"), x = c(0.5, -0.5)))

datasets <- list(mgus2 = mg, sample = sm, ties = tie)
landmarks <- list(mgus2 = c(0, 12, 60, 120, 240, 500), sample = c(0, 12, 36, 60, 200),
                  ties = c(0, 2, 4, 13, 21, 30))

state_factor <- function(s) factor(s, levels = 0:2, labels = c("censor", "event", "competing"))

curve <- function(d, conf_type, times) {
  fit <- survfit(Surv(time, state_factor(state)) ~ 1, data = d, conf.type = conf_type)
  s <- summary(fit, times = times)
  # summary drops times past the last one: pad with NA
  keep <- match(times, s$time)
  list(
    time = fit$time, estimate = fit$pstate[, 2], std_err = fit$std.err[, 2],
    lower = fit$lower[, 2], upper = fit$upper[, 2], n_risk = fit$n.risk[, 1],
    landmarks = list(time = times, estimate = s$pstate[keep, 2],
                     lower = s$lower[keep, 2], upper = s$upper[keep, 2])
  )
}

out <- list(versions = list(survival = as.character(packageVersion("survival")),
                            cmprsk = as.character(packageVersion("cmprsk"))),
            datasets = list())
for (name in names(datasets)) {
  d <- datasets[[name]]
  file <- paste0("cr_", name, ".csv")
  write.csv(d, file.path(data_dir, file), row.names = FALSE)
  groups <- sort(unique(d$group))
  curves <- list()
  for (g in groups) {
    dg <- d[d$group == g, ]
    curves[[g]] <- list()
    for (ct in c("log-log", "log", "plain")) curves[[g]][[ct]] <- curve(dg, ct, landmarks[[name]])
  }
  gray <- cuminc(d$time, d$state, d$group, cencode = 0)$Tests
  design <- model.matrix(~ group + x, data = d)[, -1, drop = FALSE]
  fg <- crr(d$time, d$state, design, failcode = 1, cencode = 0)
  se <- sqrt(diag(fg$var))
  out$datasets[[name]] <- list(
    file = file.path("data", file),
    groups = groups,
    curves = curves,
    gray = list(statistic = unname(gray["1", "stat"]), p = unname(gray["1", "pv"]),
                df = unname(gray["1", "df"])),
    fine_gray = list(terms = colnames(design), coef = unname(fg$coef), se = unname(se),
                     p = unname(2 * pnorm(-abs(fg$coef / se))), converged = fg$converged)
  )
}

write_golden(out, "competing", pretty = TRUE)
