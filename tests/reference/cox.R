# Golden values for src/cohort_explorer/cox.py (tests/test_cox.py).
#
# Run: Rscript tests/reference/cox.R [OUT_DIR]
# Writes tests/reference/cox.json and the input CSVs tests/reference/data/cox_*.csv
# (except cox_rossi.csv, which is lifelines.datasets.load_rossi() exported with pandas;
# it is the same data as carData::Rossi used in the lifelines test-suite).
#
# Every model is fitted with coxph(ties = "efron") and default coxph.control(); the
# multi-df Wald test of a factor is t(b) solve(V) b over that factor's coefficients;
# cox.zph uses the survival >= 3 default transform = "km".

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
stopifnot(as.character(packageVersion("survival")) == "3.5.3")

.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))

# ---------------------------------------------------------------- input data
lung0 <- survival::lung
lung <- data.frame(time = lung0$time, status = lung0$status - 1, age = lung0$age,
                   sex = lung0$sex, ph.ecog = lung0$ph.ecog, ph.karno = lung0$ph.karno)
lung <- lung[complete.cases(lung), ]
write.csv(lung, file.path(data_dir, "cox_lung.csv"), row.names = FALSE)

rossi <- read.csv(file.path(ref_dir, "data", "cox_rossi.csv"))

# Separation: group C has no events at all (its coefficient runs to -Inf).
set.seed(20170101)
n <- 60
sep <- data.frame(group = rep(c("A", "B", "C"), each = 20),
                  age = round(rnorm(n, 60, 8)))
sep$time <- round(rexp(n, rate = ifelse(sep$group == "B", 0.12, 0.08)) + 0.5, 1)
sep$status <- ifelse(sep$group == "C", 0, rbinom(n, 1, 0.8))
write.csv(sep[, c("time", "status", "group", "age")], file.path(data_dir, "cox_separation.csv"),
          row.names = FALSE)

# Reference level with no events: every event is in marker == 1 (coefficient runs to +Inf).
set.seed(20170102)
n <- 50
ref0 <- data.frame(marker = rep(0:1, c(15, 35)), age = round(rnorm(n, 65, 10)))
ref0$time <- round(rexp(n, 0.1) + 0.5, 1)
ref0$status <- ifelse(ref0$marker == 0, 0, rbinom(n, 1, 0.7))
write.csv(ref0[, c("time", "status", "marker", "age")], file.path(data_dir, "cox_refnoevent.csv"),
          row.names = FALSE)

# Heavy ties: integer times 1..12, a binary, a tied continuous score and a 3-level stage.
set.seed(20170103)
n <- 400
ties <- data.frame(trt = rbinom(n, 1, 0.5), score = round(rnorm(n), 1),
                   stage = sample(c("I", "II", "III"), n, replace = TRUE, prob = c(.4, .35, .25)))
lin <- -0.5 * ties$trt + 0.4 * ties$score + c(I = 0, II = 0.3, III = 0.9)[ties$stage]
ties$time <- pmin(12, ceiling(rexp(n, 0.15 * exp(lin)) ))
ties$status <- rbinom(n, 1, 0.75)
ties$status[ties$time == 12] <- 0
write.csv(ties[, c("time", "status", "trt", "score", "stage")], file.path(data_dir, "cox_ties.csv"),
          row.names = FALSE)

# ---------------------------------------------------------------- helpers
fit_with_warnings <- function(formula, data) {
  warns <- character(0)
  fit <- withCallingHandlers(
    coxph(formula, data = data, ties = "efron", x = TRUE, model = TRUE),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  list(fit = fit, warnings = warns)
}

zph_table <- function(z) {
  tab <- z$table
  lapply(seq_len(nrow(tab)), function(i)
    list(term = rownames(tab)[i], chisq = tab[i, "chisq"], df = tab[i, "df"], p = tab[i, "p"]))
}

record <- function(formula, data, names, groups = list(), zph = TRUE) {
  fw <- fit_with_warnings(formula, data)
  fit <- fw$fit
  s <- summary(fit)
  cf <- s$coefficients
  ci <- s$conf.int
  b <- coef(fit)
  V <- vcov(fit)
  wald <- lapply(groups, function(cols) {
    idx <- match(cols, names)
    bb <- b[idx]
    stat <- drop(t(bb) %*% solve(V[idx, idx, drop = FALSE], bb))
    list(statistic = stat, df = length(idx), p = pchisq(stat, length(idx), lower.tail = FALSE))
  })
  out <- list(
    terms = names,
    coef = unname(cf[, "coef"]), se = unname(cf[, "se(coef)"]), hr = unname(cf[, "exp(coef)"]),
    lower = unname(ci[, "lower .95"]), upper = unname(ci[, "upper .95"]),
    p = unname(cf[, "Pr(>|z|)"]),
    loglik = unname(fit$loglik),
    lr_test = list(statistic = unname(s$logtest["test"]), df = unname(s$logtest["df"]),
                   p = unname(s$logtest["pvalue"])),
    wald_tests = wald,
    concordance = unname(fit$concordance["concordance"]),
    concordance_counts = as.list(fit$concordance[c("concordant", "discordant", "tied.x",
                                                   "tied.y")]),
    n = fit$n, events = fit$nevent, iter = fit$iter,
    warnings = I(fw$warnings)
  )
  if (zph) {
    out$zph_terms <- zph_table(cox.zph(fit))
    out$zph_columns <- zph_table(cox.zph(fit, terms = FALSE))
    rn <- out$zph_columns
    for (i in seq_along(names)) rn[[i]]$term <- names[i]
    out$zph_columns <- rn
  }
  out
}

# ---------------------------------------------------------------- models
result <- list()

result$rossi <- record(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, rossi,
                       c("fin", "age", "race", "wexp", "mar", "paro", "prio"))

lung$ecog <- factor(lung$ph.ecog)
result$lung <- record(Surv(time, status) ~ age + sex + ecog, lung,
                      c("age", "sex", "ph.ecog=1", "ph.ecog=2", "ph.ecog=3"),
                      groups = list(ph.ecog = c("ph.ecog=1", "ph.ecog=2", "ph.ecog=3")))
result$lung$zph_terms[[3]]$term <- "ph.ecog"

lung$log2_karno <- log2(lung$ph.karno)
result$lung_log2 <- record(Surv(time, status) ~ sex + log2_karno, lung,
                           c("sex", "log2(ph.karno)"))

sep$group <- factor(sep$group)
result$separation <- record(Surv(time, status) ~ group + age, sep,
                            c("group=B", "group=C", "age"),
                            groups = list(group = c("group=B", "group=C")), zph = FALSE)

result$refnoevent <- record(Surv(time, status) ~ marker + age, ref0, c("marker", "age"),
                            zph = FALSE)

ties$stage <- factor(ties$stage, levels = c("I", "II", "III"))
result$ties <- record(Surv(time, status) ~ trt + score + stage, ties,
                      c("trt", "score", "stage=II", "stage=III"),
                      groups = list(stage = c("stage=II", "stage=III")))
result$ties$zph_terms[[3]]$term <- "stage"

result$software <- list(R = R.version.string,
                        survival = as.character(packageVersion("survival")))

write_golden(result, "cox", pretty = TRUE)
