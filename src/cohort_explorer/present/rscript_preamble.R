suppressPackageStartupMessages(library(survival))
options(warn = 1)

.here <- local({
  a <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f)) dirname(normalizePath(f)) else getwd()
})
.checks <- list()

# Record one quantity: the app's value(s) beside R's. The difference is relative to R's value
# (absolute below 1e-6); NA must meet NA; counts must be equal (tol = 0).
check <- function(quantity, app, r, tol = 1e-6) {
  app <- as.numeric(unlist(app)); r <- as.numeric(unlist(r))
  if (length(app) != length(r)) {
    diff <- Inf
  } else if (!length(app)) {
    diff <- 0
  } else {
    d <- abs(app - r) / pmax(abs(r), 1e-6)
    d[is.na(app) & is.na(r)] <- 0
    d[xor(is.na(app), is.na(r))] <- Inf
    diff <- max(d)
  }
  .checks[[length(.checks) + 1]] <<- list(quantity = quantity, app = app, r = r, diff = diff,
                                           tol = tol, ok = diff <= tol)
  invisible(diff <= tol)
}

read_part <- function(file, md5) {
  path <- file.path(.here, file)
  if (!file.exists(path)) stop("the analysis-set CSV is missing: put ", file, " beside this script")
  if (unname(tools::md5sum(path)) != md5) {
    stop("the analysis-set CSV ", file, " is not the file this script was written for")
  }
  utils::read.csv(path)
}

z_of <- function(conf_level) qnorm(1 - (1 - conf_level) / 2)

check_groups <- function(title, d, labels, conf_type, conf_level, app) {
  check(paste(title, "patients"), app$n, nrow(d), 0)
  check(paste(title, "events"), app$events, sum(d$event), 0)
  if (!is.null(app$follow_up)) {
    rev_fit <- survfit(Surv(time, 1 - event) ~ 1, data = d)
    check(paste(title, "median follow-up and IQR (reverse KM)"), app$follow_up,
          quantile(rev_fit, c(0.5, 0.25, 0.75), conf.int = FALSE))
  }
  rmst <- list()
  fits <- list()
  for (i in seq_along(labels)) {
    a <- app$groups[[i]]
    rows <- d[d$group == i, ]
    q <- function(what) paste0(title, " ", labels[i], ": ", what)
    fit <- if (is.null(rows$entry)) {
      survfit(Surv(time, event) ~ 1, data = rows, conf.type = conf_type, conf.int = conf_level)
    } else {
      survfit(Surv(entry, time, event) ~ 1, data = rows, conf.type = conf_type,
              conf.int = conf_level)
    }
    fits[[i]] <- fit
    check(q("patients"), a$n, nrow(rows), 0)
    check(q("events"), a$events, sum(rows$event), 0)
    check(q("KM times"), a$km$time, fit$time)
    check(q("KM survival"), a$km$survival, fit$surv)
    check(q("KM lower"), a$km$lower, fit$lower)
    check(q("KM upper"), a$km$upper, fit$upper)
    check(q("KM at risk"), a$km$at_risk, fit$n.risk, 0)
    check(q("KM events"), a$km$events, fit$n.event, 0)
    check(q("KM censored"), a$km$censored, fit$n.censor, 0)
    m <- quantile(fit, 0.5)
    check(q("median (estimate, lower, upper)"), a$median, c(m$quantile, m$lower, m$upper))
    if (length(a$landmarks$time)) {
      for (k in seq_along(a$landmarks$time)) {
        t <- a$landmarks$time[k]
        s <- summary(fit, times = t, extend = TRUE)
        beyond <- t > max(fit$time)  # the app gives no survival past a group's last time
        # past a group's last time: no survival, unless the curve dropped to 0 (0, bounds NA)
        r <- if (beyond) c(if (min(fit$surv) == 0) 0 else NA, NA, NA, 0)
             else c(s$surv, s$lower, s$upper, s$n.risk)
        check(q(paste0("survival at ", t, " (estimate, lower, upper, at risk)")),
              c(a$landmarks$survival[k], a$landmarks$lower[k], a$landmarks$upper[k],
                a$landmarks$at_risk[k]), r)
      }
    }
    if (!is.null(a$rmst)) {
      tab <- summary(fit, rmean = a$rmst[1])$table
      est <- unname(tab["rmean"]); se <- unname(tab["se(rmean)"])
      rmst[[i]] <- c(est, se)
      check(q(paste0("RMST to ", a$rmst[1], " (estimate, se, lower, upper)")), a$rmst[-1],
            c(est, se, est - z_of(conf_level) * se, est + z_of(conf_level) * se))
    }
  }
  # S_g(t) - S_ref(t), se = sqrt(se_g^2 + se_ref^2) with summary()'s std.err (docs/methods.md)
  at <- function(fit, t) {
    # past the last time: no estimate, unless the curve dropped to 0 (0, std.err NA)
    if (t > max(fit$time)) return(if (min(fit$surv) == 0) c(0, NA) else c(NA, NA))
    s <- summary(fit, times = t, extend = TRUE)
    c(s$surv, s$std.err)
  }
  for (ld in app$landmark_differences) {
    g <- at(fits[[ld$group]], ld$time); r0 <- at(fits[[1]], ld$time)
    est <- g[1] - r0[1]; se <- sqrt(g[2]^2 + r0[2]^2); z <- z_of(conf_level)
    ci <- if (is.na(se)) c(NA, NA) else c(est - z * se, est + z * se)
    check(paste0(title, " survival difference ", labels[ld$group], " - ", labels[1], " at ",
                 ld$time, " (difference, se, lower, upper)"), ld$values, c(est, se, ci))
  }
  for (dd in app$rmst_differences) {
    g <- rmst[[dd$group]]; r0 <- rmst[[1]]
    est <- g[1] - r0[1]; se <- sqrt(g[2]^2 + r0[2]^2); z <- z_of(conf_level)
    check(paste0(title, " RMST difference ", labels[dd$group], " - ", labels[1],
                 " (estimate, se, lower, upper, p)"), dd$values,
          c(est, se, est - z * se, est + z * se, 2 * pnorm(-abs(est / se))))
  }
}

logrank_of <- function(formula, data) {
  sd <- survdiff(formula, data = data)
  expected <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  df <- sum(expected > 0) - 1
  c(sd$chisq, df, if (df > 0) pchisq(sd$chisq, df, lower.tail = FALSE) else NA)
}

# Group tests. Without delayed entry: survdiff. With it (survdiff has no counting-process
# form): the score test of coxph(Surv(entry, time, event) ~ factor(group), ties = "exact") at
# beta = 0, which is the log-rank test on the risk sets {entry < t <= time}.
check_tests <- function(title, d, labels, app) {
  entry <- !is.null(d$entry)
  outcome <- if (entry) "Surv(entry, time, event) ~" else "Surv(time, event) ~"
  score_of <- function(rows, rhs) {
    fit <- coxph(as.formula(paste(outcome, rhs)), data = rows, ties = "exact", iter.max = 0)
    df <- length(fit$coefficients)
    c(unname(fit$score), df, pchisq(unname(fit$score), df, lower.tail = FALSE))
  }
  groups_test <- function(rows, rhs) {
    rows$g <- factor(rows$group)
    if (entry) return(score_of(rows, rhs))
    logrank_of(as.formula(paste(outcome, rhs)), rows)
  }
  if (!is.null(app$logrank)) {
    check(paste(title, "log-rank (chi2, df, p)"), app$logrank, groups_test(d, "g"))
  }
  if (!is.null(app$stratified)) {
    check(paste(title, "stratified log-rank (chi2, df, p)"), app$stratified,
          groups_test(d, "g + strata(strata)"))
  }
  if (!is.null(app$trend)) {
    codes <- app$trend$ranked
    rows <- d[d$group %in% codes, ]
    rows$rank <- match(rows$group, codes)
    score <- score_of(rows, "rank")
    check(paste(title, "trend (chi2, p): Cox score test, exact ties"), app$trend$values,
          score[c(1, 3)])
  }
  if (!is.null(app$pairwise)) {
    raw <- sapply(app$pairwise$pairs, function(pair) groups_test(d[d$group %in% pair, ], "g")[3])
    adjusted <- p.adjust(raw, method = app$pairwise$method)
    for (k in seq_along(app$pairwise$pairs)) {
      pair <- app$pairwise$pairs[[k]]
      check(paste0(title, " log-rank ", labels[pair[1]], " vs ", labels[pair[2]],
                   " (p, adjusted p)"), app$pairwise$p[[k]], c(raw[k], adjusted[k]))
    }
  }
}

check_cox <- function(title, d, terms, coefficients, conf_level, app) {
  m <- data.frame(time = d$time, event = d$event, entry = if (is.null(d$entry)) 0 else d$entry)
  for (k in seq_along(terms)) {
    m[[paste0("t", k)]] <- as.matrix(d[, paste0("x", terms[[k]]), drop = FALSE])
  }
  outcome <- if (is.null(d$entry)) "Surv(time, event) ~" else "Surv(entry, time, event) ~"
  stratified <- isTRUE(app$stratified)
  if (stratified) m$s <- d$strata
  f <- as.formula(paste(outcome, paste0("t", seq_along(terms), collapse = " + "),
                        if (stratified) "+ strata(s)" else ""))
  fit <- suppressWarnings(coxph(f, data = m, ties = "efron"))
  b <- unname(fit$coefficients); se <- sqrt(diag(fit$var)); z <- z_of(conf_level)
  se[is.na(b)] <- NA
  for (j in seq_along(coefficients)) {
    q <- paste0(title, " ", coefficients[j])
    if (!app$estimable[j]) {
      cat(sprintf("%s: not estimable in the app; R gives coef %s\n", q, format(b[j])))
      next
    }
    check(paste(q, "(coef, se, HR, lower, upper, p)"), app$terms[[j]],
          c(b[j], se[j], exp(b[j]), exp(b[j] - z * se[j]), exp(b[j] + z * se[j]),
            2 * pnorm(-abs(b[j] / se[j]))))
  }
  if (!all(app$estimable)) {
    cat(title, "model tests are not compared: a coefficient is not estimable (R's fit diverges)\n")
    return(invisible())
  }
  lr <- 2 * diff(fit$loglik); df <- sum(!is.na(b))
  check(paste(title, "likelihood-ratio test (chi2, df, p)"), app$lr,
        c(lr, df, pchisq(lr, df, lower.tail = FALSE)))
  check(paste(title, "concordance"), app$concordance, fit$concordance[["concordance"]], 1e-3)
  for (k in seq_along(terms)) {
    idx <- match(terms[[k]], seq_along(coefficients))
    w <- drop(t(b[idx]) %*% solve(fit$var[idx, idx, drop = FALSE]) %*% b[idx])
    check(paste0(title, " Wald test of term ", k, " (chi2, df, p)"), app$wald[[k]],
          c(w, length(idx), pchisq(w, length(idx), lower.tail = FALSE)))
  }
  if (!is.null(app$zph)) {
    zt <- cox.zph(fit, transform = "km")$table
    check(paste(title, "proportional hazards, per term (chi2)"), app$zph$chisq,
          zt[seq_along(terms), "chisq"])
    check(paste(title, "proportional hazards, per term (p)"), app$zph$p, zt[seq_along(terms), "p"])
    check(paste(title, "proportional hazards, global (chi2, df, p)"), app$zph$global,
          zt["GLOBAL", c("chisq", "df", "p")])
  }
}

check_cutpoint <- function(title, d, app) {
  suppressPackageStartupMessages(library(maxstat))
  mt <- maxstat.test(Surv(time, event) ~ cut_x, data = d, smethod = "LogRank",
                     pmethod = "Lau94", minprop = 0.1, maxprop = 0.9)
  check(paste(title, "optimal cut point (cut, M, Lau94 p)"), app,
        c(mt$estimate, mt$statistic, min(1, mt$p.value)))
}

check_competing <- function(title, d, labels, conf_type, conf_level, app) {
  for (i in seq_along(labels)) {
    a <- app$groups[[i]]
    rows <- d[d$group == i, ]
    q <- function(what) paste0(title, " ", labels[i], ": ", what)
    fit <- survfit(Surv(time, factor(state, 0:2)) ~ 1, data = rows, conf.type = conf_type,
                   conf.int = conf_level)
    check(q("event, competing events"), a$counts, c(sum(rows$state == 1), sum(rows$state == 2)), 0)
    check(q("CIF times"), a$time, fit$time)
    check(q("CIF estimate (Aalen-Johansen)"), a$estimate, fit$pstate[, 2])
    check(q("CIF lower"), a$lower, fit$lower[, 2])
    check(q("CIF upper"), a$upper, fit$upper[, 2])
  }
  if (!is.null(app$gray) || !is.null(app$fine_gray)) suppressPackageStartupMessages(library(cmprsk))
  if (!is.null(app$gray)) {
    tests <- cuminc(d$time, d$state, d$group, cencode = 0)$Tests
    check(paste(title, "Gray's test (statistic, df, p)"), app$gray, tests["1", c("stat", "df", "pv")])
  }
  if (!is.null(app$fine_gray)) {
    x <- as.matrix(d[, grep("^x[0-9]+$", names(d)), drop = FALSE])
    fg <- crr(d$time, d$state, x, failcode = 1, cencode = 0)
    b <- unname(fg$coef); se <- sqrt(diag(fg$var)); z <- z_of(conf_level)
    for (j in seq_along(app$fine_gray)) {
      check(paste0(title, " Fine-Gray ", app$fine_gray_names[j], " (coef, se, HR, lower, upper, p)"),
            app$fine_gray[[j]], c(b[j], se[j], exp(b[j]), exp(b[j] - z * se[j]),
                                  exp(b[j] + z * se[j]), 2 * pnorm(-abs(b[j] / se[j]))), 1e-5)
    }
  }
}

# Restricted cubic spline: knots at the 5/35/65/95% quantiles, rms's rcspline.eval basis,
# coxph(basis + covariates); HR against the median with Wald bands; LR tests (docs/methods.md).
check_spline <- function(title, d, cov_cols, conf_level, app) {
  suppressPackageStartupMessages(library(rms))
  rows <- d[is.finite(d$spline_x), ]
  x <- rows$spline_x
  knots <- unname(quantile(x, c(0.05, 0.35, 0.65, 0.95), type = 7))
  check(paste(title, "spline knots"), app$knots, knots)
  basis <- rcspline.eval(x, knots, inclx = TRUE)
  cov <- if (length(cov_cols)) as.matrix(rows[, cov_cols, drop = FALSE]) else NULL
  fit_of <- function(m) {
    if (is.null(m)) return(coxph(Surv(rows$time, rows$event) ~ 1, ties = "efron"))
    coxph(Surv(rows$time, rows$event) ~ m, ties = "efron")
  }
  full <- fit_of(cbind(basis, cov)); linear <- fit_of(cbind(x, cov)); without <- fit_of(cov)
  ll <- function(f) f$loglik[length(f$loglik)]
  check(paste(title, "spline p non-linear, p overall"), app$p,
        c(pchisq(2 * (ll(full) - ll(linear)), 2, lower.tail = FALSE),
          pchisq(2 * (ll(full) - ll(without)), 3, lower.tail = FALSE)))
  reference <- median(x)
  grid <- seq(quantile(x, 0.01, type = 7), quantile(x, 0.99, type = 7), length.out = 100)
  diff <- rcspline.eval(grid, knots, inclx = TRUE) -
    matrix(rcspline.eval(reference, knots, inclx = TRUE), 100, 3, byrow = TRUE)
  b <- coef(full)[1:3]; V <- vcov(full)[1:3, 1:3]
  lp <- drop(diff %*% b); se <- sqrt(rowSums((diff %*% V) * diff)); z <- z_of(conf_level)
  check(paste(title, "spline reference (median) and grid"), c(app$reference, app$x),
        c(reference, grid))
  check(paste(title, "spline HR"), app$hr, exp(lp))
  check(paste(title, "spline lower"), app$lower, exp(lp - z * se))
  check(paste(title, "spline upper"), app$upper, exp(lp + z * se))
}

report <- function() {
  line <- function(quantity, app, r, diff, tol, ok) {
    cat(sprintf("%-70s %18s %18s %10.2e %8.0e %s\n", quantity, app, r, diff, tol,
                if (isTRUE(ok)) "ok" else "DIFFERS"))
  }
  num <- function(v) format(v, digits = 12)
  cat(sprintf("\n%-70s %18s %18s %10s %8s\n", "quantity", "app", "R", "difference", "tolerance"))
  for (ch in .checks) {
    if (length(ch$app) == length(ch$r) && length(ch$app) <= 6) {
      for (k in seq_along(ch$app)) {
        name <- if (length(ch$app) > 1) paste0(ch$quantity, " [", k, "]") else ch$quantity
        diff <- if (is.na(ch$app[k]) && is.na(ch$r[k])) 0 else
          abs(ch$app[k] - ch$r[k]) / max(abs(ch$r[k]), 1e-6)
        if (is.na(diff)) diff <- Inf
        line(name, num(ch$app[k]), num(ch$r[k]), diff, ch$tol, diff <= ch$tol)
      }
    } else {
      line(ch$quantity, sprintf("[%d values]", length(ch$app)), sprintf("[%d values]", length(ch$r)),
           ch$diff, ch$tol, ch$ok)
    }
  }
  bad <- sum(!vapply(.checks, function(ch) isTRUE(ch$ok), logical(1)))
  if (bad) stop(sprintf("%d of %d quantities differ from R beyond their tolerance", bad, length(.checks)),
                call. = FALSE)
  cat(sprintf("\nAll %d quantities agree with R within their tolerance.\n", length(.checks)))
}
