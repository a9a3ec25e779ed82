# Writes tests/data/formats/cohort.sas7bdat, the SAS fixture for tests/test_io.py.
# Neither pandas nor pyreadstat can write sas7bdat; haven (ReadStat) can.
# Run from the repository root: Rscript tests/data/formats/make_sas7bdat.R  (haven 2.5.1)
library(haven)
cohort <- data.frame(
  patient_id = c("MM-001", "MM-002", "MM-003", "MM-004"),
  age = c(57, 63, 49, 71),
  sex = c("M", "F", "F", "M"),
  pfs_months = c(12.5, 3.0, 40.25, 0),
  pfs_event = c(1, 0, 1, 0),
  stringsAsFactors = FALSE
)
suppressWarnings(write_sas(cohort, "tests/data/formats/cohort.sas7bdat"))
