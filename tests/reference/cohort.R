# Golden values for cohort.py: Table 1 tests (R stats) and the Jonckheere-Terpstra trend test.
# Run from tests/reference: Rscript cohort.R  (writes cohort.json)
library(jsonlite)
d <- read.csv("../../sample_data/sample_cohort.csv", stringsAsFactors = FALSE)
q25 <- quantile(d$ikzf1, 0.25, type = 7)
g <- ifelse(d$ikzf1 <= q25, "Q1", "Q2-Q4")

kw <- function(x) { r <- kruskal.test(x ~ factor(g)); list(statistic = unname(r$statistic), p = r$p.value) }
tab <- function(x) table(factor(x), factor(g))
chi <- function(x) { r <- suppressWarnings(chisq.test(tab(x))); list(statistic = unname(r$statistic), p = r$p.value,
                                                                     min_expected = min(r$expected)) }
fis <- function(x) list(p = fisher.test(tab(x))$p.value)

# Jonckheere-Terpstra, normal approximation with the ties-corrected variance
# (Hollander & Wolfe 1999, section 6.2), written out independently of the Python code.
jt <- function(x, grp, levels) {
  keep <- !is.na(x) & grp %in% levels
  x <- x[keep]; grp <- factor(grp[keep], levels = levels)
  s <- split(x, grp); s <- s[sapply(s, length) > 0]
  J <- 0
  for (i in seq_along(s)) for (j in seq_along(s)) if (i < j) {
    J <- J + sum(outer(s[[i]], s[[j]], "<")) + 0.5 * sum(outer(s[[i]], s[[j]], "=="))
  }
  n <- sapply(s, length); N <- sum(n); t <- as.numeric(table(x))
  mean <- (N^2 - sum(n^2)) / 4
  v <- (N * (N - 1) * (2 * N + 5) - sum(n * (n - 1) * (2 * n + 5)) - sum(t * (t - 1) * (2 * t + 5))) / 72 +
    sum(n * (n - 1) * (n - 2)) * sum(t * (t - 1) * (t - 2)) / (36 * N * (N - 1) * (N - 2)) +
    sum(n * (n - 1)) * sum(t * (t - 1)) / (8 * N * (N - 1))
  z <- (J - mean) / sqrt(v)
  list(statistic = J, mean = mean, variance = v, z = z, p = 2 * pnorm(-abs(z)))
}
tied <- c(1, 1, 2, 2, 2, 3, 3, 4, 1, 2, 5, 5)
tied_g <- c("a", "a", "a", "a", "b", "b", "b", "b", "c", "c", "c", "c")

library(survival)
d$ikzf1_group <- factor(g, levels = c("Q1", "Q2-Q4"))
d$cyto_risk <- factor(d$cyto_risk, levels = c("standard", "high"))
fit <- coxph(Surv(pfs_months, pfs_event) ~ ikzf1_group + cyto_risk, data = d, ties = "efron")
zph <- cox.zph(fit, transform = "km")$table

out <- list(
  zph = list(terms = rownames(zph), chisq = unname(zph[, "chisq"]), df = unname(zph[, "df"]),
             p = unname(zph[, "p"])),
  q25 = unname(q25),
  age = kw(d$age), ikzf1 = kw(d$ikzf1), crbn = kw(d$crbn),
  sex = chi(d$sex), cyto_risk_fisher = fis(d$cyto_risk), iss_stage_fisher = fis(d$iss_stage),
  best_response_fisher = fis(d$best_response),
  jt_iss = jt(d$ikzf1, d$iss_stage, c("I", "II", "III")),
  jt_response = jt(d$ikzf1, d$best_response, c("sCR", "CR", "VGPR", "PR", "SD", "PD")),
  jt_ties = jt(tied, tied_g, c("a", "b", "c"))
)
write_json(out, "cohort.json", digits = NA, auto_unbox = TRUE, na = "null")
