# Golden values for quantile grouping (cohort_explorer.analysis.stratify).
# R quantile type 7 (the default); right-closed intervals, lowest value included:
# Q1 = [min, q25], Q2 = (q25, q50], ... A rule fails only when a group would be empty
# (coinciding inner breaks, or the last break equal to the maximum).
# Rscript tests/reference/stratify.R [OUT_DIR]  -> stratify.json
library(jsonlite)
.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))
set.seed(42)
vectors <- list(
  lognormal = round(rlnorm(60, 0, 0.6), 3),
  ties = c(rep(1, 10), rep(2, 7), 3, 3, 4, 5, 5, 5, 6, 9, 9),
  small = c(5.5, 1.25, 3, 8, 2),
  negative = c(-3.2, -1, 0, 0.5, 2.5, 7, -0.25, 4),
  heavy_ties = c(rep(0, 15), 1, 2, 3, 4, 5),
  constant = rep(3, 6)
)
out <- list()
for (name in names(vectors)) {
  x <- vectors[[name]]
  entry <- list(x = x)
  for (k in c(2, 3, 4)) {
    br <- quantile(x, probs = seq(0, 1, length.out = k + 1), type = 7, names = FALSE)
    entry[[paste0("breaks_", k)]] <- br
    inner <- br[-1]   # q_1/k, ..., max
    if (any(duplicated(inner))) {
      entry[[paste0("groups_", k)]] <- NULL
      entry[[paste0("ties_", k)]] <- TRUE
    } else {
      entry[[paste0("groups_", k)]] <- as.integer(cut(x, c(-Inf, inner), right = TRUE))
      entry[[paste0("ties_", k)]] <- FALSE
    }
  }
  q25 <- quantile(x, 0.25, type = 7, names = FALSE)
  entry$q1_ties <- q25 >= max(x)   # nobody above q25: no "rest" group
  entry$q1_vs_rest <- as.integer(ifelse(x <= q25, 1L, 2L))
  out[[name]] <- entry
}
write_golden(out, "stratify")
