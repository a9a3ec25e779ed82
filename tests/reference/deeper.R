# Golden values for the deeper analyses (issue 10): cut-point explorer HRs and bootstrap,
# restricted cubic spline, subgroup forest, univariable screen, stratified Cox, landmark
# differences and predicted survival (tests/test_deeper.py).
#
# Run:  Rscript tests/reference/deeper.R [OUT_DIR]   (default OUT_DIR: tests/reference)
# Reads tests/reference/data/deeper_sample.csv (a copy of the synthetic sample cohort) and
# deeper_boot_idx.csv (the first 20 bootstrap resamples of numpy
# default_rng(20170101).integers(0, 60, size=(20, 60)), 1-based, one resample per line);
# writes OUT_DIR/deeper.json and OUT_DIR/data/deeper_lung*.csv.

suppressPackageStartupMessages({
  library(survival)
  library(maxstat)
  library(rms)
  library(jsonlite)
})
stopifnot(as.character(packageVersion("survival")) == "3.5.3")
.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))
input_dir <- file.path(ref_dir, "data")  # the committed inputs this script reads
d <- read.csv(file.path(input_dir, "deeper_sample.csv"), stringsAsFactors = FALSE)
q <- quantile(d$ikzf1, c(0, .25, .5, .75, 1), type = 7)
d$q <- cut(d$ikzf1, q, labels = c("Q1", "Q2", "Q3", "Q4"), right = TRUE, include.lowest = TRUE)
out <- list()

# ---------------------------------------------------------------- cut-point explorer
mt <- maxstat.test(Surv(pfs_months, pfs_event) ~ ikzf1, data = d, smethod = "LogRank",
                   pmethod = "Lau94", minprop = 0.1, maxprop = 0.9)
hrs <- sapply(mt$cuts, function(cut) {
  above <- as.numeric(d$ikzf1 > cut)
  unname(exp(coef(coxph(Surv(pfs_months, pfs_event) ~ above, data = d, ties = "efron"))))
})
idx <- as.matrix(read.csv(file.path(input_dir, "deeper_boot_idx.csv"), header = FALSE))
boot_cuts <- apply(idx, 1, function(rows) {
  r <- d[rows, ]
  unname(maxstat.test(Surv(pfs_months, pfs_event) ~ ikzf1, data = r, smethod = "LogRank",
                      pmethod = "Lau94", minprop = 0.1, maxprop = 0.9)$estimate)
})
quartile_of <- function(v) findInterval(v, q[2:4], left.open = TRUE)
out$cutpoint <- list(cuts = unname(mt$cuts), hrs = hrs, cutpoint = unname(mt$estimate),
                     boot_cuts = boot_cuts,
                     boot_quantiles = unname(quantile(boot_cuts, c(.025, .5, .975), type = 7)),
                     boot_same_quartile = mean(quartile_of(boot_cuts) ==
                                               quartile_of(unname(mt$estimate))))

# ---------------------------------------------------------------- restricted cubic spline
spline_case <- function(data, x, covs = character(0)) {
  xv <- data[[x]]
  knots <- unname(quantile(xv, c(.05, .35, .65, .95), type = 7))
  basis <- rcspline.eval(xv, knots, inclx = TRUE)
  colnames(basis) <- c("s0", "s1", "s2")
  dd <- cbind(data, basis)
  rhs <- function(terms) if (length(terms)) paste(terms, collapse = " + ") else "1"
  f <- function(terms) as.formula(paste("Surv(time, status) ~", rhs(terms)))
  full <- coxph(f(c("s0", "s1", "s2", covs)), data = dd, ties = "efron")
  linear <- coxph(f(c("s0", covs)), data = dd, ties = "efron")
  ll0 <- if (length(covs)) coxph(f(covs), data = dd, ties = "efron")$loglik[2] else
    full$loglik[1]
  ref <- median(xv)
  grid <- seq(quantile(xv, .01, type = 7), quantile(xv, .99, type = 7), length.out = 100)
  diff <- rcspline.eval(grid, knots, inclx = TRUE) -
    matrix(rcspline.eval(ref, knots, inclx = TRUE), nrow = 100, ncol = 3, byrow = TRUE)
  b <- coef(full)[1:3]
  v <- vcov(full)[1:3, 1:3]
  lhr <- as.vector(diff %*% b)
  se <- sqrt(rowSums((diff %*% v) * diff))
  z <- qnorm(.975)
  list(knots = knots, reference = ref, x = grid, hr = exp(lhr), lower = exp(lhr - z * se),
       upper = exp(lhr + z * se),
       p_nonlinear = pchisq(2 * (full$loglik[2] - linear$loglik[2]), 2, lower.tail = FALSE),
       p_overall = pchisq(2 * (full$loglik[2] - ll0), 3, lower.tail = FALSE),
       basis_head = unname(rcspline.eval(xv[1:5], knots, inclx = TRUE)))
}
ds <- data.frame(time = d$pfs_months, status = d$pfs_event, ikzf1 = d$ikzf1, age = d$age,
                 high = as.numeric(d$cyto_risk == "standard"))
out$spline <- spline_case(ds, "ikzf1")
out$spline_adjusted <- spline_case(ds, "ikzf1", c("age", "high"))
lung <- survival::lung
lung <- data.frame(time = lung$time, status = lung$status - 1, age = lung$age,
                   karno = lung$ph.karno)
lung <- lung[complete.cases(lung), ]
write.csv(lung, file.path(data_dir, "deeper_lung.csv"), row.names = FALSE)
out$spline_lung <- spline_case(lung, "age", "karno")

# ---------------------------------------------------------------- subgroup forest
term_list <- function(fit, prefix) {
  s <- summary(fit)$coefficients
  ci <- summary(fit)$conf.int
  keep <- grep(paste0("^", prefix), rownames(s))
  lapply(keep, function(i) list(term = rownames(s)[i], coef = s[i, "coef"],
                                se = s[i, "se(coef)"], hr = ci[i, "exp(coef)"],
                                lower = ci[i, "lower .95"], upper = ci[i, "upper .95"],
                                p = s[i, "Pr(>|z|)"]))
}
subgroup_case <- function(data, s, covs) {
  rhs <- paste(c("q", covs), collapse = " + ")
  levels_out <- lapply(sort(unique(data[[s]])), function(level) {
    sub <- data[data[[s]] == level, ]
    sub$q <- droplevels(sub$q)
    fit <- coxph(as.formula(paste("Surv(pfs_months, pfs_event) ~", rhs)), data = sub,
                 ties = "efron")
    list(level = level, n = nrow(sub), events = sum(sub$pfs_event), terms = term_list(fit, "q"))
  })
  main <- coxph(as.formula(paste("Surv(pfs_months, pfs_event) ~", rhs, "+", s)), data = data,
                ties = "efron")
  inter <- coxph(as.formula(paste("Surv(pfs_months, pfs_event) ~", rhs, "+", s, "+ q:", s)),
                 data = data, ties = "efron")
  a <- anova(main, inter)
  list(variable = s, levels = levels_out,
       interaction = list(statistic = a$Chisq[2], df = a$Df[2], p = a[["Pr(>|Chi|)"]][2]))
}
d$age_group <- ifelse(d$age <= quantile(d$age, .5, type = 7), "Low", "High")
out$subgroups <- list(subgroup_case(d, "sex", "age"), subgroup_case(d, "age_group", character(0)))

# ---------------------------------------------------------------- univariable screen
screen_terms <- c(age = "age", ikzf1_log2 = "log2(ikzf1)", cyto = "factor(cyto_risk)",
                  iss = "factor(iss_stage)", crbn = "crbn")
screen <- lapply(screen_terms, function(term) {
  fit <- coxph(as.formula(paste("Surv(pfs_months, pfs_event) ~", term)), data = d,
               ties = "efron")
  s <- summary(fit)
  list(term = term, lr_statistic = unname(s$logtest["test"]), lr_p = unname(s$logtest["pvalue"]),
       coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))))
})
qs <- p.adjust(sapply(screen, function(x) x$lr_p), "BH")
for (i in seq_along(screen)) screen[[i]]$q <- unname(qs[i])
out$screen <- unname(screen)

# ---------------------------------------------------------------- stratified Cox
st <- coxph(Surv(pfs_months, pfs_event) ~ q + age + strata(sex), data = d, ties = "efron")
out$stratified <- list(coef = unname(coef(st)), se = unname(sqrt(diag(vcov(st)))),
                       loglik = st$loglik, concordance = unname(st$concordance["concordance"]),
                       lr = unname(summary(st)$logtest["test"]))
sd_lung <- survival::lung
sd_lung <- sd_lung[complete.cases(sd_lung[, c("time", "status", "age", "sex", "ph.ecog")]), ]
st2 <- coxph(Surv(time, status) ~ age + sex + strata(ph.ecog), data = sd_lung, ties = "efron")
write.csv(data.frame(time = sd_lung$time, status = sd_lung$status - 1, age = sd_lung$age,
                     sex = sd_lung$sex, ecog = sd_lung$ph.ecog),
          file.path(data_dir, "deeper_lung_strata.csv"), row.names = FALSE)
out$stratified_lung <- list(coef = unname(coef(st2)), se = unname(sqrt(diag(vcov(st2)))),
                            concordance = unname(st2$concordance["concordance"]))

# ---------------------------------------------------------------- landmark differences
km <- survfit(Surv(pfs_months, pfs_event) ~ q, data = d, conf.type = "log-log")
sm <- summary(km, times = c(12, 36), extend = TRUE)
tab <- data.frame(group = sub("q=", "", as.character(sm$strata)), time = sm$time,
                  surv = sm$surv, se = sm$std.err)
diffs <- list()
for (g in c("Q2", "Q3", "Q4")) for (t in c(12, 36)) {
  a <- tab[tab$group == g & tab$time == t, ]
  r <- tab[tab$group == "Q1" & tab$time == t, ]
  se <- sqrt(a$se^2 + r$se^2)
  diffs[[length(diffs) + 1]] <- list(group = g, time = t, difference = a$surv - r$surv,
                                     lower = a$surv - r$surv - qnorm(.975) * se,
                                     upper = a$surv - r$surv + qnorm(.975) * se)
}
out$landmark_differences <- diffs

# ---------------------------------------------------------------- predicted survival
pfit <- coxph(Surv(pfs_months, pfs_event) ~ q + age + factor(cyto_risk), data = d,
              ties = "efron")
new <- data.frame(q = factor("Q1", levels = levels(d$q)), age = 60, cyto_risk = "standard")
sf <- survfit(pfit, newdata = new, conf.type = "log-log")
ps <- summary(sf, times = c(12, 36))
med <- quantile(sf, 0.5)
new2 <- data.frame(q = factor("Q4", levels = levels(d$q)), age = 71, cyto_risk = "high")
sf2 <- survfit(pfit, newdata = new2, conf.type = "log")
ps2 <- summary(sf2, times = c(12, 24))
med2 <- quantile(sf2, 0.5)
out$prediction <- list(
  list(ikzf1 = 0.5, age = 60, cyto_risk = "standard", conf_type = "log-log", times = c(12, 36),
       surv = ps$surv, lower = ps$lower, upper = ps$upper,
       median = c(unname(med$quantile), unname(med$lower), unname(med$upper)),
       curve_time = sf$time, curve_surv = as.vector(sf$surv),
       curve_se = as.vector(sf$std.err)),
  list(ikzf1 = 3.0, age = 71, cyto_risk = "high", conf_type = "log", times = c(12, 24),
       surv = ps2$surv, lower = ps2$lower, upper = ps2$upper,
       median = c(unname(med2$quantile), unname(med2$lower), unname(med2$upper))))

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(out_dir, "deeper.json"))
