# Golden values for cohort.py: Table 1 tests (R stats) and the Jonckheere-Terpstra trend test.
# Rscript tests/reference/cohort.R [OUT_DIR]  (writes cohort.json)
library(jsonlite)
.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))
d <- read.csv(file.path(root_dir, "sample_data", "sample_cohort.csv"), stringsAsFactors = FALSE)
q25 <- quantile(d$ikzf1, 0.25, type = 7)
g <- ifelse(d$ikzf1 <= q25, "Q1", "Q2-Q4")

kw <- function(x) { r <- kruskal.test(x ~ factor(g)); list(statistic = unname(r$statistic), p = r$p.value) }
tab <- function(x) table(factor(x), factor(g))
chi <- function(x) { r <- suppressWarnings(chisq.test(tab(x))); list(statistic = unname(r$statistic), p = r$p.value,
                                                                     min_expected = min(r$expected)) }
fis <- function(x) list(p = fisher.test(tab(x))$p.value)

# Jonckheere-Terpstra from base R's Kendall test, not from our formula: J counts, over pairs in
# different groups, the pairs ordered as the groups (+ 1/2 for tied x), so J = E(J) + S / 2 with
# Kendall's S between x and the group rank and E(J) = (N^2 - sum n^2) / 4; cor.test(method =
# "kendall", exact = FALSE) gives S (tau_b times its tie-corrected denominator) and z = S / sd(S)
# with the variance corrected for ties in both x and the group rank, which is the ties-corrected
# JT variance (var J = var S / 4). The p-value is cor.test's two-sided one.
jt <- function(x, grp, levels) {
  keep <- !is.na(x) & grp %in% levels
  x <- x[keep]; rank <- match(grp[keep], levels)
  kt <- cor.test(x, rank, method = "kendall", exact = FALSE, continuity = FALSE)
  N <- length(x); n <- as.numeric(table(rank))
  t_of <- function(v) { r <- as.numeric(table(v)); sum(r * (r - 1)) / 2 }
  T0 <- N * (N - 1) / 2
  S <- unname(kt$estimate) * sqrt((T0 - t_of(x)) * (T0 - t_of(rank)))
  z <- unname(kt$statistic)
  mean <- (N^2 - sum(n^2)) / 4
  list(statistic = mean + S / 2, mean = mean, variance = (S / z)^2 / 4, z = z, p = kt$p.value)
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
  jt_ties = jt(tied, tied_g, c("a", "b", "c")),
  # a filtered sample (sex M, age > 60): ISS stage by best response, a sparse 3 x 4 table with
  # margins of 1 (scipy's Monte Carlo Fisher returned a 1-element array there)
  sparse_fisher = with(d[d$sex == "M" & d$age > 60, ],
                       list(n = length(iss_stage),
                            p = fisher.test(table(factor(iss_stage), factor(best_response)))$p.value))
)
write_golden(out, "cohort")
