# mk/nn.mk — dense algebra for the neural-network library (engine/nn_*.c), the MLP,
# k-NN and naive Bayes learners: OpenBLAS sgemm (pthread build, thread count set per
# fit through openblas_set_num_threads) and LAPACKE for later factorisations (PCA).
LAZY_PKGS += openblas
DEB_PACKAGES += libopenblas-dev liblapacke-dev libdnnl-dev

# The image network's speed benchmark (issue #14, speed):
#
#   make bench-vision   training time per epoch of the reference Fashion-MNIST net,
#                       ours (oneDNN and im2col paths) vs PyTorch (2 threads) in the
#                       same run, and the convolutions' GFLOP/s as a fraction of
#                       this machine's sgemm (tests/bench/vision/).  VISION_N=60000
#                       for the full training set (default 10000 images).

BENCH_PACKAGES += python3-torch dataset-fashion-mnist
VISION_BENCH := $(O)/bench/vision_bench
VISION_N ?= 10000

$(VISION_BENCH): tests/bench/vision/vision_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

.PHONY: bench-vision
bench-vision: bench-deps $(VISION_BENCH)
	$(PYTHON) tests/bench/vision/vision --driver $(VISION_BENCH) --n $(VISION_N)
bench: bench-vision

# The convolution suite once more on the im2col fallback (oneDNN forced off), so
# the gradient checks and direct-convolution comparisons hold on both paths.
.PHONY: unit-conv-im2col
unit-conv-im2col: $(O)/tests/test_nn_conv
	@echo "== $< (AML_NN_CONV=im2col)"; AML_NN_CONV=im2col $(TEST_ENV) $< --jobs 2
unit: unit-conv-im2col

# The architecture search benchmark on Fashion-MNIST (issue #14, "Done when"):
#
#   make bench-vision-nas   per budget (BUDGETS, minutes): test accuracy on the
#                           official t10k, the architecture found, its weights,
#                           inference images/s, wall time vs budget; then one
#                           epoch of that architecture, ours vs PyTorch (2
#                           threads), and the ratio (tests/bench/vision/nas_bench.c)
NAS_BENCH := $(O)/bench/nas_bench
BUDGETS ?= 2 5 10 30

$(NAS_BENCH): tests/bench/vision/nas_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

.PHONY: bench-vision-nas
bench-vision-nas: bench-deps $(NAS_BENCH)
	NAS_PYTHON=$(PYTHON) $(NAS_BENCH) /usr/share/datasets/fashion-mnist \
	    tests/bench/vision/nas_torch.py $(BUDGETS)

# Which strategy `auto` should mean for images (issue #14: "whatever measures best
# per second, with the measurement kept in the bench"):
#
#   make bench-vision-strategies   per strategy (STRATS), mean over STRAT_SEEDS: trials,
#                                  best validation accuracy at 25/50/100 % of the budget
#                                  (STRAT_SECONDS), the best-so-far curve's area over the
#                                  budget and the test accuracy, on a Fashion-MNIST subset
#                                  (STRAT_N training images); then the ranking by area
#                                  (tests/bench/vision/strategy_bench.c).  Not in `make bench`.
STRATEGY_BENCH := $(O)/bench/strategy_bench

$(STRATEGY_BENCH): tests/bench/vision/strategy_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

.PHONY: bench-vision-strategies
bench-vision-strategies: bench-deps $(STRATEGY_BENCH)
	$(STRATEGY_BENCH) /usr/share/datasets/fashion-mnist
