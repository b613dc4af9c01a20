# mk/plot.mk — the chart library (engine/plot_*.c): golden images and benchmark.
#
#   make golden          regenerate every golden image (this fragment adds the plot ones)
#   make golden-plot     regenerate tests/data/golden/plot/*.png: runs
#                        build/$(BUILD)/tests/test_plot with AML_GOLDEN_UPDATE=1, which
#                        writes the rendered charts instead of comparing them.  Never
#                        run implicitly: look at every changed image (and `git diff
#                        --stat tests/data/golden/plot`) before committing.
#   make bench-plot      median render time per chart kind, 640x400 logical (1280x800
#                        PNG), 50 renders each (tests/bench/plot_bench.c), beside the
#                        same charts drawn by matplotlib (tests/bench/plot_bench_mpl.py)
#
# The unit suite itself (build/$(BUILD)/tests/test_plot) is built by the main Makefile;
# on a golden mismatch it writes the actual image to build/$(BUILD)/tests/plot-actual/.

PLOT_TEST  := $(O)/tests/test_plot
PLOT_BENCH := $(O)/bench/plot_bench

.PHONY: golden-plot bench-plot
golden: golden-plot
golden-plot: $(PLOT_TEST)
	@mkdir -p tests/data/golden/plot
	AML_GOLDEN_UPDATE=1 $(PLOT_TEST) --jobs 1 --filter 'plot_golden/*'
	@echo "golden images written to tests/data/golden/plot/: review them before committing"

$(PLOT_BENCH): tests/bench/plot_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $(filter %.c %.a,$^) $(ALL_LDFLAGS) $(LIBS) -o $@

BENCH_PACKAGES += python3-matplotlib
bench-plot: bench-deps $(PLOT_BENCH)
	PYTHON=$(PYTHON) $(PLOT_BENCH)
bench: bench-plot

# The chart font is loaded with FreeType directly (engine/plot/plot_font.c).
PKGS += freetype2
DEB_PACKAGES += libfreetype-dev
# The benchmark's peer (python3-matplotlib, in BENCH_PACKAGES) is installed by
# bench-plot itself (bench-deps), not by `make deps`: CI never runs benchmarks.
