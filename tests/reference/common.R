# Shared by the reference scripts; each sources it right after finding its own folder:
#   .args <- commandArgs(trailingOnly = FALSE)
#   ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
#   source(file.path(ref_dir, "common.R"))
# Not a reference script itself (`make reference` and the pytest re-run skip it).
#
# Paths: a script runs from any directory (`make reference` runs it from the repository root).
# An optional argument names a directory to write into instead of tests/reference (the pytest
# re-run writes into a temporary folder and compares).
root_dir <- dirname(dirname(ref_dir))
out_dir <- commandArgs(trailingOnly = TRUE)[1]
if (is.na(out_dir)) out_dir <- ref_dir
data_dir <- file.path(out_dir, "data")  # the input CSVs a script writes for the Python tests
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

# The golden values as OUT_DIR/NAME.json: full precision, NA as null, scalars unboxed.
write_golden <- function(x, name, pretty = FALSE) {
  jsonlite::write_json(x, file.path(out_dir, paste0(name, ".json")), digits = NA,
                       auto_unbox = TRUE, na = "null", pretty = pretty)
}
