# Golden values for the scaled Schoenfeld residuals of the PH check
# (src/cohort_explorer/stats/cox/zph.py, cox.proportional_hazards_test(...).residuals) and for the
# smooth of R's plot.cox.zph (src/cohort_explorer/present/plots/ph.py). Tests: tests/test_ph_residuals.py.
#
# Run: Rscript tests/reference/zph.R [OUT_DIR]
# Reads the input CSVs written by tests/reference/cox.R (and cox_rossi.csv); writes
# tests/reference/zph.json.
#
# cox.zph(fit, transform = "km", terms = FALSE): one column of $y per coefficient.
#   $x     KM-transformed event times (1 - S(t-) of the pooled KM curve), one per event
#   $time  the event times
#   $y     scaled Schoenfeld residuals + coefficient (one column per coefficient)
#   $var   solve(vmean) (the variance used for the plot's confidence band)
# plot.cox.zph(df = 4, nsmo = 40): the natural-spline smooth at 40 points with its +-2 se band
# and the x-axis (raw-time labels at KM-scale positions). The lines below are the computation in
# survival 3.5.3 plot.cox.zph without the drawing.

suppressPackageStartupMessages({
  library(survival)
  library(splines)
  library(jsonlite)
})
stopifnot(as.character(packageVersion("survival")) == "3.5.3")

.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))

plot_values <- function(z, df = 4, nsmo = 40) {
  xx <- z$x
  yy <- z$y
  pred.x <- seq(from = min(xx), to = max(xx), length = nsmo)
  lmat <- ns(c(pred.x, xx), df = df, intercept = TRUE)
  pmat <- lmat[1:nsmo, ]
  xmat <- lmat[-(1:nsmo), ]
  xtime <- z$time
  indx <- !duplicated(xx)
  apr1 <- approx(xx[indx], xtime[indx], seq(min(xx), max(xx), length = 17)[2 * (1:8)])
  temp <- signif(apr1$y, 2)
  apr2 <- approx(xtime[indx], xx[indx], temp)
  smooth <- lapply(seq_len(ncol(yy)), function(i) {
    y <- yy[, i]
    qmat <- qr(xmat)
    yhat <- drop(pmat %*% qr.coef(qmat, y))
    bk <- backsolve(qmat$qr[1:df, 1:df], diag(df))
    xtx <- bk %*% t(bk)
    seval <- drop(((pmat %*% xtx) * pmat) %*% rep(1, df))
    band <- 2 * sqrt(z$var[i, i] * seval)
    list(fit = yhat, lower = yhat - band, upper = yhat + band)
  })
  list(x = pred.x, smooth = smooth, tick_values = apr2$y, tick_labels = temp)
}

record <- function(formula, data, names) {
  fit <- coxph(formula, data = data, ties = "efron", x = TRUE, model = TRUE)
  z <- cox.zph(fit, terms = FALSE)
  stopifnot(ncol(z$y) == length(names))
  list(terms = names, coef = unname(coef(fit)),
       x = z$x, time = z$time,
       y = lapply(seq_len(ncol(z$y)), function(i) unname(z$y[, i])),
       var = unname(diag(z$var)),
       plot = plot_values(z))
}

lung <- read.csv(file.path(data_dir, "cox_lung.csv"))
lung$ecog <- factor(lung$ph.ecog)
rossi <- read.csv(file.path(ref_dir, "data", "cox_rossi.csv"))
ties <- read.csv(file.path(data_dir, "cox_ties.csv"))
ties$stage <- factor(ties$stage, levels = c("I", "II", "III"))

result <- list()
result$lung <- record(Surv(time, status) ~ age + sex + ecog, lung,
                      c("age", "sex", "ph.ecog=1", "ph.ecog=2", "ph.ecog=3"))
result$rossi <- record(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, rossi,
                       c("fin", "age", "race", "wexp", "mar", "paro", "prio"))
result$ties <- record(Surv(time, status) ~ trt + score + stage, ties,
                      c("trt", "score", "stage=II", "stage=III"))
result$software <- list(R = R.version.string,
                        survival = as.character(packageVersion("survival")))

write_golden(result, "zph")
