
# ---- the deeper analyses: subgroup forest, univariable screen, predicted survival, bootstrap

# One Cox coefficient as the app reports it: coef, se, HR, Wald bounds and p.
coef_row <- function(b, se, z) {
  c(b, se, exp(b), exp(b - z * se), exp(b + z * se), 2 * pnorm(-abs(b / se)))
}

# Subgroup forest: per level of S, coxph(group + covariates) on its rows; the interaction p is
# anova() of coxph(G + S + covariates) against coxph(G * S + covariates) (docs/methods.md).
check_subgroups <- function(title, d, labels, conf_level, app) {
  z <- z_of(conf_level)
  for (s in app) {
    rows <- d[!is.na(d[[s$column]]), ]
    m <- data.frame(time = rows$time, event = rows$event,
                    G = factor(rows$group, levels = seq_along(labels)),
                    S = factor(rows[[s$column]], levels = seq_along(s$levels)))
    has_cov <- length(s$covariates) > 0
    if (has_cov) m$cov <- as.matrix(rows[, s$covariates, drop = FALSE])
    f <- function(rhs) as.formula(paste("Surv(time, event) ~", rhs, if (has_cov) "+ cov" else ""))
    for (k in seq_along(s$levels)) {
      a <- s$values[[k]]
      r <- m[m$S == k, ]
      q <- function(what) paste0(title, " subgroup ", s$name, " = ", s$levels[k], ": ", what)
      check(q("patients, events"), c(a$n, a$events), c(nrow(r), sum(r$event)), 0)
      fit <- if (sum(r$event) > 0) {
        tryCatch(suppressWarnings(coxph(f("G"), data = r, ties = "efron")),
                 error = function(e) NULL)
      }
      b <- if (is.null(fit)) rep(NA, length(labels) - 1) else unname(coef(fit))
      se <- if (is.null(fit)) b else sqrt(diag(fit$var))
      for (j in seq_along(a$estimable)) {
        name <- paste0(labels[j + 1], " vs ", labels[1])
        if (!a$estimable[j]) {
          cat(sprintf("%s: not estimable in the app; R gives coef %s\n", q(name), format(b[j])))
          next
        }
        check(q(paste(name, "(coef, se, HR, lower, upper, p)")), a$terms[[j]],
              coef_row(b[j], se[j], z), 1e-5)
      }
    }
    q <- paste0(title, " subgroup ", s$name, ": interaction (LR chi2, df, p)")
    main <- suppressWarnings(coxph(f("G + S"), data = m, ties = "efron"))
    full <- suppressWarnings(coxph(f("G * S"), data = m, ties = "efron"))
    a <- anova(main, full)
    r <- c(a$Chisq[2], a$Df[2], a[["Pr(>|Chi|)"]][2])
    if (is.null(s$interaction)) {
      cat(sprintf("%s: none in the app (no estimable interaction); R gives df %s\n", q,
                  format(r[2])))
    } else {
      check(q, s$interaction, r, 1e-5)
    }
  }
}

# Univariable screen: one coxph per term on its own complete cases; q = p.adjust(LR p, "BH")
# over the terms with a p (the app gives none where a coefficient is not estimable).
check_screen <- function(title, s, conf_level, app) {
  z <- z_of(conf_level)
  lr_p <- rep(NA_real_, length(app))
  for (k in seq_along(app)) {
    a <- app[[k]]
    rows <- s[complete.cases(s[, a$columns, drop = FALSE]), ]
    x <- as.matrix(rows[, a$columns, drop = FALSE])
    q <- function(what) paste0(title, " screen ", a$name, ": ", what)
    check(q("patients, events"), c(a$n, a$events), c(nrow(rows), sum(rows$event)), 0)
    fit <- suppressWarnings(coxph(Surv(rows$time, rows$event) ~ x, ties = "efron"))
    b <- unname(coef(fit)); se <- sqrt(diag(fit$var))
    for (j in seq_along(a$coefficients)) {
      if (!a$estimable[j]) {
        cat(sprintf("%s: not estimable in the app; R gives coef %s\n", q(a$coefficients[j]),
                    format(b[j])))
        next
      }
      check(q(paste(a$coefficients[j], "(coef, se, HR, lower, upper, p)")), a$terms[[j]],
            coef_row(b[j], se[j], z), 1e-5)
    }
    if (all(a$estimable)) {
      lr <- 2 * diff(fit$loglik); df <- sum(!is.na(b))
      lr_p[k] <- pchisq(lr, df, lower.tail = FALSE)
      check(q("likelihood-ratio test (chi2, df, p)"), a$lr, c(lr, df, lr_p[k]), 1e-5)
    }
  }
  check(paste(title, "screen: BH q-values, p.adjust(LR p, \"BH\")"),
        vapply(app, function(a) a$q, numeric(1)), p.adjust(lr_p, "BH"), 1e-5)
}

# Predicted survival of one patient: survfit(coxph, newdata) with the KM confidence type.
check_prediction <- function(title, d, conf_type, conf_level, app) {
  cols <- paste0("x", seq_along(app$x))
  m <- d[, c("time", "event", cols)]
  fit <- suppressWarnings(coxph(Surv(time, event) ~ ., data = m, ties = "efron"))
  newdata <- as.data.frame(as.list(setNames(app$x, cols)))
  sf <- survfit(fit, newdata = newdata, conf.type = conf_type, conf.int = conf_level)
  q <- function(what) paste(title, "predicted survival:", what)
  check(q("curve times"), app$curve$time, sf$time)
  check(q("curve survival"), app$curve$survival, sf$surv, 1e-5)
  check(q("curve lower"), app$curve$lower, sf$lower, 1e-5)
  check(q("curve upper"), app$curve$upper, sf$upper, 1e-5)
  for (k in seq_along(app$landmarks$time)) {
    t <- app$landmarks$time[k]
    r <- if (t > max(sf$time)) c(if (min(sf$surv) == 0) 0 else NA, NA, NA) else {
      s <- summary(sf, times = t, extend = TRUE)
      c(s$surv, s$lower, s$upper)
    }
    check(q(paste0("at ", t, " (estimate, lower, upper)")),
          c(app$landmarks$survival[k], app$landmarks$lower[k], app$landmarks$upper[k]), r, 1e-5)
  }
  med <- quantile(sf, 0.5)
  check(q("median (estimate, lower, upper)"), app$median,
        c(med$quantile, med$lower, med$upper), 1e-5)
}

# The cut-point bootstrap replayed: each resample's rows (0-based indices in base 36, `width`
# characters each, as numpy drew them) and maxstat's cut on those rows.
check_bootstrap <- function(title, d, app) {
  suppressPackageStartupMessages(library(maxstat))
  n <- nrow(d); w <- app$width
  starts <- seq(1, n * w, by = w)
  cut_of <- function(rows) {
    tryCatch(unname(maxstat.test(Surv(time, event) ~ cut_x, data = rows, smethod = "LogRank",
                                 pmethod = "none", minprop = 0.1, maxprop = 0.9)$estimate),
             error = function(e) NA_real_)
  }
  cuts <- vapply(app$idx, function(s) {
    cut_of(d[strtoi(substring(s, starts, starts + w - 1), 36L) + 1L, ])
  }, numeric(1), USE.NAMES = FALSE)
  found <- cuts[!is.na(cuts)]
  q <- function(what) paste(title, "bootstrap of the cut point:", what)
  check(q("resamples, skipped"), c(app$B, app$skipped), c(length(cuts), sum(is.na(cuts))), 0)
  check(q("every selected cut"), app$cuts, found)
  check(q("2.5%, 50%, 97.5% of the cuts"), app$summary,
        quantile(found, c(0.025, 0.5, 0.975), type = 7, names = FALSE))
  breaks <- quantile(d$cut_x, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  quartile_of <- function(v) findInterval(v, breaks, left.open = TRUE)
  check(q("share in the cut's quartile"), app$share,
        mean(quartile_of(found) == quartile_of(cut_of(d))))
}
