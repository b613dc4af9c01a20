# mk/automl.mk — the AutoML benchmark of issue #6.
#
#   make bench-automl     our %train search (aml_search_run) on bank-full with a fixed
#                         stratified 10 % test split, at budgets of 60 s and 300 s,
#                         against XGBoost defaults, scikit-learn HistGradientBoosting
#                         defaults and a budget-bounded random search over
#                         HistGradientBoosting, all in the same run
#                         (tests/bench/automl + tests/bench/automl_bench.c)
#   make bench-automl AUTOML_BUDGETS=60   one budget only
#
# The peers' Python packages (BENCH_PACKAGES) are installed by bench-automl
# itself, never by `make deps`: CI does not need them.

BENCH_PACKAGES += python3-sklearn python3-xgboost python3-pandas python3-numpy python3-scipy
AUTOML_BENCH := $(O)/bench/automl_bench
AUTOML_BUDGETS ?= 60,300

$(AUTOML_BENCH): tests/bench/automl_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

.PHONY: bench-automl
bench-automl: bench-deps $(AUTOML_BENCH)
	$(PYTHON) tests/bench/automl --driver $(AUTOML_BENCH) --budgets $(AUTOML_BUDGETS)
bench: bench-automl
