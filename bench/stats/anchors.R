# The R anchors of bench/stats/run.sh: sampling::samplecube on the frame, survey::calibrate
# (raking, linear, logit), survey::rake and laeken::calibWeights on the respondents.
# Usage: Rscript anchors.R DIR [lp]   ("lp" also runs samplecube's linear-programming landing).
# Prints SAMPLE|task|tool|seconds|file and WEIGHTS|task|tool|seconds|file lines; the outputs
# are scored by the same Rust code as Terrain's.
args <- commandArgs(TRUE)
dir <- args[1]
with_lp <- length(args) > 1 && args[2] == "lp"
suppressMessages({
  library(survey)
  library(sampling)
  library(laeken)
})
line <- function(kind, task, tool, secs, file) {
  cat(sprintf("%s|%s|%s|%.4f|%s\n", kind, task, tool, secs, file))
}

fr <- read.csv(file.path(dir, "frame.csv"))
pik <- inclusionprobabilities(fr$pop, 1000)
X <- cbind(pik, as.matrix(fr[, paste0("x", 1:12)]))
# Single draws vary a lot in balance: three seeds each, scored one by one.
cube_run <- function(method, label, tag, seed) {
  set.seed(seed)
  secs <- system.time(s <- samplecube(X, pik, order = 1, comment = FALSE, method = method))[["elapsed"]]
  f <- file.path(dir, paste0("sample-sampling-", tag, "-", seed, ".csv"))
  write.csv(data.frame(id = fr$id[s > 0.5]), f, row.names = FALSE, quote = FALSE)
  line("SAMPLE", "cube", sprintf("%s seed %d", label, seed), secs, f)
}
for (seed in 1:3) cube_run(2, "R sampling samplecube (suppression)", "suppression", seed)
if (with_lp) for (seed in 1:3) cube_run(1, "R sampling samplecube (LP landing)", "lp", seed)

r <- read.csv(file.path(dir, "respondents.csv"), stringsAsFactors = FALSE)
m <- read.csv(file.path(dir, "margins.csv"), stringsAsFactors = FALSE)
vars <- unique(m$variable)
for (v in vars) r[[v]] <- factor(r[[v]], levels = m$category[m$variable == v])
N <- sum(m$target[m$variable == vars[1]])
pop <- c("(Intercept)" = N)
for (v in vars) {
  mv <- m[m$variable == v, ]
  tt <- mv$target[-1]
  names(tt) <- paste0(v, mv$category[-1])
  pop <- c(pop, tt)
}
fml <- as.formula(paste("~", paste(vars, collapse = " + ")))
des <- svydesign(ids = ~1, weights = ~d, data = r)
write_weights <- function(w, tag) {
  f <- file.path(dir, paste0("weights-", tag, ".csv"))
  write.csv(data.frame(id = r$id, weight = sprintf("%.17g", w)), f, row.names = FALSE, quote = FALSE)
  f
}
for (cfg in list(list("raking", "raking", c(-Inf, Inf)), list("linear", "linear", c(-Inf, Inf)),
                 list("bounded logit", "logit", c(0.3, 3)))) {
  secs <- system.time(cal <- calibrate(des, fml, pop, calfun = cfg[[2]], bounds = cfg[[3]]))[["elapsed"]]
  line("WEIGHTS", cfg[[1]], sprintf("R survey calibrate(calfun=\"%s\")", cfg[[2]]), secs,
       write_weights(weights(cal), paste0("R-survey-", cfg[[2]])))
}
pm <- lapply(vars, function(v) {
  mv <- m[m$variable == v, ]
  df <- data.frame(factor(mv$category, levels = mv$category), mv$target)
  names(df) <- c(v, "Freq")
  df
})
sm <- lapply(vars, function(v) as.formula(paste("~", v)))
secs <- system.time(rk <- rake(des, sm, pm, control = list(maxit = 100, epsilon = 1e-7)))[["elapsed"]]
line("WEIGHTS", "raking", "R survey rake", secs, write_weights(weights(rk), "R-survey-rake"))

mm <- model.matrix(fml, r)
for (cfg in list(list("raking", "raking"), list("linear", "linear"))) {
  secs <- system.time(g <- calibWeights(mm, r$d, pop, method = cfg[[2]]))[["elapsed"]]
  line("WEIGHTS", cfg[[1]], sprintf("R laeken calibWeights(method=\"%s\")", cfg[[2]]), secs,
       write_weights(r$d * g, paste0("R-laeken-", cfg[[2]])))
}
