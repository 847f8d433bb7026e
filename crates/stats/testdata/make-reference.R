# Makes the reference vectors of terrain-stats' calibration and estimate tests with R survey.
# Run once from crates/stats:  Rscript testdata/make-reference.R
# (Debian: apt-get install -y r-base-core r-cran-survey). The outputs are committed; the
# tests never call R.
suppressMessages(library(survey))
set.seed(20261126)
n <- 600
areas <- 40
area <- sample(sprintf("A%02d", 1:areas), n, replace = TRUE)
sex <- sample(c("F", "H"), n, replace = TRUE, prob = c(0.58, 0.42))
age <- sample(c("18-34", "35-49", "50-64", "65+"), n, replace = TRUE, prob = c(0.15, 0.22, 0.30, 0.33))
occ <- sample(c("cadres", "intermediaires", "employes", "ouvriers", "retraites", "autres"), n,
              replace = TRUE, prob = c(0.25, 0.2, 0.15, 0.08, 0.22, 0.10))
# Area-level design weight (1/pi of the area times within-area factor), unequal.
area_w <- setNames(runif(areas, 40, 160), sprintf("A%02d", 1:areas))
d <- round(area_w[area] * runif(n, 0.8, 1.25), 6)
q <- ifelse(runif(n) < ifelse(age == "65+", 0.5, 0.25), "oui", ifelse(runif(n) < 0.6, "non", "nsp"))
score <- round(rnorm(n, mean = ifelse(sex == "F", 6, 5) + (occ == "cadres"), sd = 2), 1)
resp <- data.frame(id = sprintf("R%04d", 1:n), area, d, sex, age, occ, q, score,
                   stringsAsFactors = FALSE)
N <- sum(d)
# Population margins (deliberately different from the sample's distribution).
m_sex <- c(F = 0.52, H = 0.48) * N
m_age <- c("18-34" = 0.27, "35-49" = 0.25, "50-64" = 0.24, "65+" = 0.24) * N
m_occ <- c(cadres = 0.14, intermediaires = 0.17, employes = 0.18, ouvriers = 0.14,
           retraites = 0.27, autres = 0.10) * N
margins <- rbind(
  data.frame(variable = "sex", category = names(m_sex), target = m_sex),
  data.frame(variable = "age", category = names(m_age), target = m_age),
  data.frame(variable = "occ", category = names(m_occ), target = m_occ))
fmt <- function(x) sprintf("%.17g", x)
write.csv(transform(resp, d = fmt(d), score = fmt(score)), "testdata/calib-respondents.csv",
          row.names = FALSE, quote = FALSE)
write.csv(transform(margins, target = fmt(target)), "testdata/calib-margins.csv",
          row.names = FALSE, quote = FALSE)

resp$sex <- factor(resp$sex, levels = names(m_sex))
resp$age <- factor(resp$age, levels = names(m_age))
resp$occ <- factor(resp$occ, levels = names(m_occ))
resp$q <- factor(resp$q)
des <- svydesign(ids = ~area, weights = ~d, data = resp)
pop <- c("(Intercept)" = N, m_sex[-1], m_age[-1], m_occ[-1])
names(pop) <- c("(Intercept)", paste0("sex", names(m_sex)[-1]), paste0("age", names(m_age)[-1]),
                paste0("occ", names(m_occ)[-1]))
cal <- function(fun, bounds = c(-Inf, Inf)) {
  calibrate(des, ~sex + age + occ, pop, calfun = fun, bounds = bounds, epsilon = 1e-13, maxit = 200)
}
designs <- list(raking = cal("raking"), linear = cal("linear"),
                logit = cal("logit", c(0.4, 3)), linear_bounded = cal("linear", c(0.3, 2.5)))
w <- data.frame(id = resp$id)
for (m in names(designs)) w[[m]] <- fmt(weights(designs[[m]]))
write.csv(w, "testdata/calib-weights-reference.csv", row.names = FALSE, quote = FALSE)

rows <- list()
for (m in c("design", names(designs))) {
  ds <- if (m == "design") des else designs[[m]]
  for (v in c("q", "score")) {
    est <- svymean(as.formula(paste0("~", v)), ds)
    rows[[length(rows) + 1]] <- data.frame(design = m, term = names(coef(est)),
                                           mean = fmt(coef(est)), se = fmt(SE(est)))
  }
  # Domain estimate: mean score among women.
  est <- svyby(~score, ~sex, ds, svymean)
  rows[[length(rows) + 1]] <- data.frame(design = m, term = paste0("score|sex=", est$sex),
                                         mean = fmt(est$score), se = fmt(SE(est)))
}
write.csv(do.call(rbind, rows), "testdata/svymean-reference.csv", row.names = FALSE, quote = FALSE)
cat("survey", as.character(packageVersion("survey")), "R", R.version.string, "\n")
