# End-to-end golden values for cohort_explorer.analysis.analyze / the CLI.
# Rscript tests/reference/analysis.R [OUT_DIR] -> analysis.json
# Each case states the equivalent cohort-explorer command.
library(survival)
library(jsonlite)
.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))

km_summary <- function(fit, times, conf) {
  s <- summary(fit, times = times, extend = TRUE)
  list(time = s$time, survival = s$surv, lower = s$lower, upper = s$upper, at_risk = s$n.risk)
}

group_block <- function(time, status, times, tau) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
  q <- quantile(fit, 0.5)
  tab <- summary(fit, rmean = tau)$table
  list(n = length(time), events = sum(status),
       median = list(estimate = unname(q$quantile), lower = unname(q$lower), upper = unname(q$upper)),
       landmarks = km_summary(fit, times),
       rmst = list(estimate = unname(tab["rmean"]), se = unname(tab["se(rmean)"])))
}

cox_block <- function(fit) {
  s <- summary(fit)
  list(term = rownames(s$coefficients), coef = unname(s$coefficients[, "coef"]),
       se = unname(s$coefficients[, "se(coef)"]), hr = unname(s$conf.int[, "exp(coef)"]),
       lower = unname(s$conf.int[, "lower .95"]), upper = unname(s$conf.int[, "upper .95"]),
       p = unname(s$coefficients[, "Pr(>|z|)"]),
       lr = unname(s$logtest), concordance = unname(s$concordance["C"]))
}

followup <- function(time, status) {
  rev <- survfit(Surv(time, 1 - status) ~ 1)
  q <- quantile(rev, c(0.25, 0.5, 0.75))$quantile
  list(q1 = unname(q[1]), median = unname(q[2]), q3 = unname(q[3]))
}

out <- list()

# cohort-explorer analyze lung.csv --time time --event status=2 --group-by ph.ecog
#   --covariates age,sex:cat --landmark 180,365 --rmst 365 --where ph.ecog<3
lung <- survival::lung
write.csv(lung, file.path(data_dir, "analysis_lung.csv"), row.names = FALSE, na = "")
d <- subset(lung, !is.na(ph.ecog) & ph.ecog < 3)   # --where
d$event <- as.integer(d$status == 2)
d <- d[complete.cases(d[, c("time", "event", "ph.ecog", "age", "sex")]), ]
d$ph.ecog <- factor(d$ph.ecog)
d$sex <- factor(d$sex)
groups <- lapply(levels(d$ph.ecog), function(l) {
  s <- d[d$ph.ecog == l, ]
  c(list(label = l), group_block(s$time, s$event, c(180, 365), 365))
})
sd <- survdiff(Surv(time, event) ~ ph.ecog, data = d)
fit <- coxph(Surv(time, event) ~ ph.ecog + age + sex, data = d, ties = "efron")
out$lung <- list(n = nrow(d), events = sum(d$event), filtered = sum(is.na(lung$ph.ecog) | lung$ph.ecog >= 3),
                 follow_up = followup(d$time, d$event), groups = groups,
                 logrank = list(statistic = sd$chisq, df = length(sd$n) - 1,
                                p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)),
                 cox = cox_block(fit))

# cohort-explorer analyze sample_cohort.csv --time pfs_months --event pfs_event
#   --group-by ikzf1:q1-vs-rest --landmark 36   (and OS the same way)
sample_csv <- file.path(root_dir, "sample_data", "sample_cohort.csv")
if (file.exists(sample_csv)) {
  s <- read.csv(sample_csv)
  q25 <- quantile(s$ikzf1, 0.25, type = 7)
  s$ikzf1_group <- factor(ifelse(s$ikzf1 <= q25, "Q1", "Q2-Q4"), levels = c("Q1", "Q2-Q4"))
  for (endpoint in c("pfs", "os")) {
    s$t <- s[[paste0(endpoint, "_months")]]
    s$e <- s[[paste0(endpoint, "_event")]]
    groups <- lapply(levels(s$ikzf1_group), function(l) {
      g <- s[s$ikzf1_group == l, ]
      c(list(label = l), group_block(g$t, g$e, 36, 36))
    })
    sd <- survdiff(Surv(t, e) ~ ikzf1_group, data = s)
    fit <- coxph(Surv(t, e) ~ ikzf1_group, data = s, ties = "efron")
    out[[paste0("sample_", endpoint)]] <- list(
      n = nrow(s), events = sum(s$e), follow_up = followup(s$t, s$e), groups = groups,
      logrank = list(statistic = sd$chisq, df = 1, p = pchisq(sd$chisq, 1, lower.tail = FALSE)),
      cox = cox_block(fit))
  }
  # Multivariable PFS, as the study: cohort-explorer analyze sample_cohort.csv --time pfs_months
  #   --event pfs_event --group-by ikzf1:q1-vs-rest --covariates cyto_risk:cat:ref=standard
  s$cyto <- relevel(factor(s$cyto_risk), "standard")
  fit <- coxph(Surv(pfs_months, pfs_event) ~ ikzf1_group + cyto, data = s, ties = "efron")
  out$sample_multivariable <- cox_block(fit)
}
write_golden(out, "analysis")
