# mk/serve.mk — the serving layer (serve/, libsrv: the REST server on
# libmicrohttpd, the request body parser), the standalone automl-serve binary,
# its unit suites, fuzz target and benchmark.
#
#   make                        also builds build/$(BUILD)/automl-serve and
#                               build/$(BUILD)/bench/serve_model (trains a model
#                               on a CSV and writes a model file; the tests use it)
#                               and build/$(BUILD)/bench/serve_image_model (an
#                               image model file, for the vision serving tests)
#   make install                also installs automl-serve beside automl-kernel
#   make fuzz-rest [FUZZ_SECONDS=600]   libFuzzer + ASan/UBSan on srv_parse_body (mk/fuzz.mk)
#   make bench-serve            single-row latency p50/p99 over a keep-alive
#                               connection and batch rows/s (tests/bench/serve),
#                               beside a Python http.server + xgboost peer
#
# Layers: serve/ depends on the engine only; magics (%deploy) depend on it.

DEB_PACKAGES += libmicrohttpd-dev
PKGS += libmicrohttpd
ALL_CFLAGS += -Iserve

SERVE_SRC  := $(filter-out serve/main.c,$(wildcard serve/*.c))
LIBSRV     := $(O)/libsrv.a
SERVE_BIN  := $(O)/automl-serve
SERVE_MODEL_TOOL := $(O)/bench/serve_model

$(LIBSRV): $(call obj,$(SERVE_SRC))
	@rm -f $@; ar rcs $@ $^

# The kernel links libsrv after libmg (its %deploy uses it).
$(KERNEL_BIN): $(LIBSRV)

$(SERVE_BIN): $(call obj,serve/main.c) $(LIBSRV) $(LIBAML)
	$(CC) $(ALL_LDFLAGS) $(filter-out $(LIBAML),$^) $(LIBAML) $(LIBS) -o $@

$(SERVE_MODEL_TOOL): tests/bench/serve_model.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

all: $(SERVE_BIN) $(SERVE_MODEL_TOOL)

# An image model file for the tests (tests/integration/test_vision_serve.py).
SERVE_IMAGE_MODEL_TOOL := $(O)/bench/serve_image_model
$(SERVE_IMAGE_MODEL_TOOL): tests/bench/serve_image_model.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@
all: $(SERVE_IMAGE_MODEL_TOOL)

# Unit suites tests/unit/test_srv*.c link libsrv and the engine (a shorter
# stem than the Makefile's test_% rule, so this one wins).
$(O)/tests/test_srv%: tests/unit/test_srv%.c $(LIBSRV) $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(TEST_LINK)

.PHONY: install-serve uninstall-serve bench-serve
install: install-serve
install-serve: $(SERVE_BIN)
	install -d $(BINDIR)
	install -m 755 $(SERVE_BIN) $(BINDIR)/automl-serve.tmp && mv $(BINDIR)/automl-serve.tmp $(BINDIR)/automl-serve
uninstall: uninstall-serve
uninstall-serve:
	rm -f $(BINDIR)/automl-serve

# ---- fuzzing the body parser (make fuzz-rest; the data subsystem's sources, as csv) ----
FUZZ_TARGETS += rest
FUZZ_DICT_rest := tests/fuzz/fuzz_rest.dict
$(FUZZ_DIR)/fuzz_rest: tests/fuzz/fuzz_rest.c serve/srv_body.c serve/srv_auth.c serve/srv.h \
    $(DATA_ENGINE_SRC) $(wildcard engine/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_rest.c serve/srv_body.c serve/srv_auth.c \
	  $(DATA_ENGINE_SRC) $(DATA_ENGINE_LIBS) $(shell pkg-config --cflags --libs jansson) -lm -pthread -o $@

# ---- benchmark: automl-serve on a bank-marketing model ----
# The peer (tests/bench/serve_peer.py: Python's http.server + xgboost) needs these;
# installed by bench-serve itself (bench-deps), never by `make deps`.
BENCH_PACKAGES += python3-pandas python3-xgboost python3-numpy
bench-serve: bench-deps $(SERVE_BIN) $(SERVE_MODEL_TOOL)
	$(PYTHON) tests/bench/serve --serve $(abspath $(SERVE_BIN)) \
	  --trainer $(abspath $(SERVE_MODEL_TOOL))
bench: bench-serve

# libmg's %deploy needs libsrv: the magics' unit suites link it too.
$(filter $(O)/tests/test_mg_%,$(UNIT_BINS)): $(LIBSRV)
