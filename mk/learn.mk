# mk/learn.mk — the tree and linear learner kinds (engine/learn/learn_xgb.c on
# XGBoost's C API, engine/learn/learn_linear.c on LIBLINEAR) and their benchmark.
#
#   make bench-learners   our learners vs scikit-learn / XGBoost's Python package on
#                         bank-full, same split, same hyper-parameters: fit time, test
#                         AUC, ratio (tests/bench/learners + tests/bench/learners_bench.c)
#
# The peers' Python packages are installed by bench-learners itself (BENCH_PACKAGES,
# through bench-deps), never by `make deps`: CI does not need them.

LAZY_PKGS += xgboost
DEB_PACKAGES += libxgboost-dev liblinear-dev

BENCH_PACKAGES += python3-sklearn python3-xgboost python3-numpy python3-pandas
LEARN_BENCH := $(O)/bench/learners_bench

$(LEARN_BENCH): tests/bench/learners_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

.PHONY: bench-learners
bench-learners: bench-deps $(LEARN_BENCH)
	$(PYTHON) tests/bench/learners --driver $(LEARN_BENCH)
bench: bench-learners
