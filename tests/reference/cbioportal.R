# A cBioPortal-format study built from a real public dataset (R survival's `pbc`: Mayo Clinic
# primary biliary cholangitis trial, 418 patients) and the golden values of its analyses.
# Rscript tests/reference/cbioportal.R [OUT_DIR] -> cbioportal.json
#
# Writes the study as cBioPortal serves it:
#   tests/data/cbioportal_pbc/data_clinical_patient.txt  (four '#' metadata rows, N:LABEL status,
#                                                          [Not Available] for missing values)
#   tests/data/cbioportal_pbc/data_clinical_sample.txt   (one sample per patient; lab values)
#   tests/data/cbioportal_pbc/pbc_clinical_data.tsv      (the study view's "download clinical
#                                                          data" table: display names as headers)
# With OUT_DIR (the pytest re-run) everything goes under OUT_DIR instead.
# OS: time in days / 30.4375 = months; event = death (status 2); transplant (1) is censored.
library(survival)
library(jsonlite)
.args <- commandArgs(trailingOnly = FALSE)
ref_dir <- dirname(normalizePath(sub("^--file=", "", .args[grep("^--file=", .args)])))
source(file.path(ref_dir, "common.R"))
study_dir <- if (out_dir == ref_dir) file.path(root_dir, "tests", "data", "cbioportal_pbc") else
  file.path(out_dir, "cbioportal_pbc")
dir.create(study_dir, showWarnings = FALSE, recursive = TRUE)

d <- survival::pbc
ids <- sprintf("PBC-%03d", d$id)
months <- d$time / 30.4375
num <- function(x, missing = "[Not Available]") {
  out <- ifelse(is.na(x), missing, as.character(x))  # 15 significant digits, per value
  unname(out)
}
status <- ifelse(d$status == 2, "1:DECEASED", "0:LIVING")
sex <- ifelse(d$sex == "f", "Female", "Male")
treatment <- ifelse(is.na(d$trt), "[Not Available]",
                    ifelse(d$trt == 1, "D-penicillamine", "Placebo"))

write_cbio <- function(path, columns, names, descriptions, types) {
  con <- file(path, "wb")
  writeLines(paste0("#", paste(names, collapse = "\t")), con, sep = "\n")
  writeLines(paste0("#", paste(descriptions, collapse = "\t")), con, sep = "\n")
  writeLines(paste0("#", paste(types, collapse = "\t")), con, sep = "\n")
  writeLines(paste0("#", paste(rep("1", length(names)), collapse = "\t")), con, sep = "\n")
  writeLines(paste(names(columns), collapse = "\t"), con, sep = "\n")
  body <- do.call(paste, c(unname(columns), sep = "\t"))
  writeLines(body, con, sep = "\n")
  close(con)
}

patient <- list(PATIENT_ID = ids, AGE = num(d$age), SEX = sex, OS_MONTHS = num(months),
                OS_STATUS = status, TREATMENT = treatment, EDEMA = num(d$edema),
                STAGE = num(d$stage))
write_cbio(file.path(study_dir, "data_clinical_patient.txt"), patient,
           c("Patient Identifier", "Diagnosis Age", "Sex", "Overall Survival (Months)",
             "Overall Survival Status", "Treatment", "Edema", "Stage"),
           c("Identifier to uniquely specify a patient.", "Age at registration (years).",
             "Sex of the patient.", "Overall survival in months since registration.",
             "Overall patient survival status.", "Randomised treatment.",
             "Edema (0 none, 0.5 untreated or resolved, 1 despite diuretics).",
             "Histologic stage of disease."),
           c("STRING", "NUMBER", "STRING", "NUMBER", "STRING", "STRING", "NUMBER", "NUMBER"))

sample <- list(SAMPLE_ID = paste0(ids, "-01"), PATIENT_ID = ids, BILIRUBIN = num(d$bili),
               ALBUMIN = num(d$albumin), PLATELET = num(d$platelet),
               PROTIME = num(d$protime))
write_cbio(file.path(study_dir, "data_clinical_sample.txt"), sample,
           c("Sample Identifier", "Patient Identifier", "Serum Bilirubin (mg/dl)",
             "Serum Albumin (g/dl)", "Platelet Count", "Prothrombin Time (s)"),
           c("Identifier to uniquely specify a sample.", "Identifier of the patient.",
             "Serum bilirubin.", "Serum albumin.", "Platelets per cubic ml / 1000.",
             "Standardised blood clotting time."),
           c("STRING", "STRING", "NUMBER", "NUMBER", "NUMBER", "NUMBER"))

# The study view's "download clinical data" table: display names, one row per sample, NA.
view <- data.frame(`Study ID` = "pbc_mayo_1991", `Patient ID` = ids,
                   `Sample ID` = paste0(ids, "-01"), `Diagnosis Age` = num(d$age, "NA"),
                   Sex = sex, `Overall Survival (Months)` = num(months, "NA"),
                   `Overall Survival Status` = status, Edema = num(d$edema, "NA"),
                   `Serum Bilirubin (mg/dl)` = num(d$bili, "NA"), check.names = FALSE)
write.table(view, file.path(study_dir, "pbc_clinical_data.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE, eol = "\n")

# ----------------------------------------------------------------------------- golden values
# Computed from R's own pbc data frame (not from the files), so the reader is tested too.
event <- as.integer(d$status == 2)
landmarks <- c(12, 36, 60, 120)

group_block <- function(time, status) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
  q <- quantile(fit, 0.5)
  s <- summary(fit, times = landmarks, extend = TRUE)
  list(n = length(time), events = sum(status),
       median = list(estimate = unname(q$quantile), lower = unname(q$lower),
                     upper = unname(q$upper)),
       landmarks = list(time = s$time, survival = s$surv, lower = s$lower, upper = s$upper,
                        at_risk = s$n.risk))
}

analysis <- function(group, levels, covariates = NULL, data = d) {
  keep <- !is.na(group)
  if (!is.null(covariates)) for (cv in covariates) keep <- keep & !is.na(data[[cv]])
  t <- months[keep]; e <- event[keep]; g <- factor(group[keep], levels = levels)
  out <- list(n = sum(keep), events = sum(e),
              groups = lapply(levels, function(l) group_block(t[g == l], e[g == l])))
  sd <- survdiff(Surv(t, e) ~ g)
  out$logrank <- list(statistic = unname(sd$chisq), df = length(levels) - 1,
                      p = pchisq(sd$chisq, length(levels) - 1, lower.tail = FALSE))
  if (is.null(covariates)) {
    fit <- coxph(Surv(t, e) ~ g, ties = "efron")
  } else {
    x <- as.data.frame(lapply(covariates, function(cv) data[[cv]][keep]))
    names(x) <- covariates
    fit <- coxph(Surv(t, e) ~ g + ., data = x, ties = "efron")
  }
  ci <- exp(confint(fit))
  out$cox <- list(hr = unname(exp(coef(fit))), lower = unname(ci[, 1]), upper = unname(ci[, 2]),
                  p = unname(summary(fit)$coefficients[, "Pr(>|z|)"]))
  out
}

bili_breaks <- unname(quantile(d$bili, c(0.25, 0.5, 0.75), type = 7))
bili_q <- cut(d$bili, c(-Inf, bili_breaks, Inf), labels = c("Q1", "Q2", "Q3", "Q4"),
              right = TRUE)

result <- list(
  dataset = "R survival::pbc (Mayo Clinic PBC trial), OS in months = days / 30.4375",
  all = group_block(months, event),
  by_sex = analysis(sex, c("Female", "Male")),
  by_sex_adjusted_for_age = analysis(sex, c("Female", "Male"), covariates = "age"),
  by_edema = analysis(num(d$edema, NA), c("0", "0.5", "1")),
  by_stage = analysis(d$stage, c(1, 2, 3, 4)),
  by_bilirubin_quartiles = c(analysis(as.character(bili_q), c("Q1", "Q2", "Q3", "Q4")),
                             list(breaks = bili_breaks, min = min(d$bili), max = max(d$bili))),
  software = list(R = R.version.string, survival = as.character(packageVersion("survival")))
)
writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                  pretty = TRUE),
           file.path(out_dir, "cbioportal.json"))
