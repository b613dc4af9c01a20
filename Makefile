# AutoML Kernel — the one Makefile for the whole tree.
#
#   make deps                 install the Debian packages the project needs (idempotent)
#   make [BUILD=...]          build build/$(BUILD)/automl-kernel (release|debug|asan)
#   make install [PREFIX=...] install the binary and the kernelspec "automl"
#   make test                 deps + build + check + unit (Criterion) + integration (pytest)
#   make check                the repository's own checks (every tools/check-* script)
#   make demo                 deps + build + install + run notebooks/00-hello.ipynb -> HTML
#   make bench                benchmarks in tests/bench (never part of CI)
#   make print-packages       the package lists: "deps: ..." and "bench: ..."
#   make logos                redraw the kernelspec logos
#
# User CFLAGS/LDFLAGS add to the project's flags; a change of flags rebuilds.

BUILD   ?= release
PYTHON  ?= /usr/bin/python3
O       := build/$(BUILD)

ifeq ($(filter $(BUILD),release debug asan),)
$(error BUILD must be release, debug or asan (got '$(BUILD)'))
endif

# Debian packages, one list per purpose (mk/*.mk fragments add to both):
# DEB_PACKAGES   build, run, test, demo: what `make deps` installs;
# BENCH_PACKAGES the benchmarks' peers, installed by `make bench-deps` (which every
#                bench-* target runs), never by `make deps`: CI runs no benchmark.
# tools/check-self-contained holds every Python import of tests/, tools/ and
# notebooks/ to these lists (tests/bench/ to both, anything else to DEB_PACKAGES).
BENCH_PACKAGES :=
DEB_PACKAGES := build-essential pkg-config libzmq3-dev libjansson-dev libsodium-dev \
  libcriterion-dev zlib1g-dev libcairo2-dev libpng-dev libjpeg62-turbo-dev fonts-dejavu-core \
  jupyter-client python3-jupyter-client python3-jupyter-kernel-test python3-ipykernel \
  jupyter-console python3-nbclient jupyter-nbconvert python3-nbconvert python3-nbformat \
  python3-pytest python3-pandas python3-psutil python3-pexpect python3-numpy python3-sklearn
# tests/integration/imagegen.py writes the vision tests' PNG and JPEG files with Pillow
DEB_PACKAGES += python3-pil

PKGS    := libzmq jansson libsodium zlib cairo libpng libjpeg
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla
MODE_release := -O2 -g
MODE_debug   := -O0 -g3
MODE_asan    := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
                -fno-sanitize-recover=undefined
LDMODE_asan  := -fsanitize=address,undefined

# LAZY_PKGS (XGBoost, OpenBLAS; see engine/base/dl.h) give headers only: the
# engine loads those libraries on first use, so the kernel starts without them.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS  = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(MODE_$(BUILD)) \
              -Iengine/include -Iengine -Ikernel -Imagics $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(LDMODE_$(BUILD)) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -ldl -lm

ENGINE_SRC := $(wildcard engine/*/*.c)
KERNEL_SRC := $(wildcard kernel/*.c)
MAGICS_SRC := $(filter-out magics/main.c,$(wildcard magics/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

LIBAML := $(O)/libaml.a
LIBKN  := $(O)/libkn.a
LIBMG  := $(O)/libmg.a
KERNEL_BIN := $(O)/automl-kernel
UNIT_BINS  := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRC))
# A kernelspec pointing at this build's binary, for the tests (JUPYTER_PATH).
LOCAL_SPEC := $(O)/jupyter/kernels/automl/kernel.json
# The notebook extension beside kernel.json: kernel.js, kernel.css and ext/.
SPEC_EXTRA := $(addprefix share/jupyter/kernels/automl/,kernel.js kernel.css ext)

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

.PHONY: all deps bench-deps print-packages install uninstall test check unit integration \
        demo bench logos clean FORCE
all: $(KERNEL_BIN) $(LOCAL_SPEC)

# ---- flags stamp: rewritten only when the flags change, so changed flags rebuild ----
$(O)/flags: FORCE
	@mkdir -p $(O)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LIBS)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(O)/obj/%.o: %.c $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBAML): $(call obj,$(ENGINE_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBKN): $(call obj,$(KERNEL_SRC))
	@rm -f $@; ar rcs $@ $^
$(LIBMG): $(call obj,$(MAGICS_SRC))
	@rm -f $@; ar rcs $@ $^

# libaml goes last: every other layer (libsrv too, added in mk/serve.mk) uses it.
# Its registries of learner kinds and strategies are explicit tables, so only
# the objects that are referenced need be linked.
$(KERNEL_BIN): $(call obj,magics/main.c) $(LIBMG) $(LIBKN) $(LIBAML)
	$(CC) $(ALL_LDFLAGS) $(filter-out $(LIBAML),$^) $(LIBAML) $(LIBS) -o $@

# Unit suites link only the layers they test: test_kn_* the kernel, test_mg_* the
# magics (and what they use), any other test_* the engine alone.
TEST_LINK = $(CC) $(ALL_CFLAGS) -MMD -MP $(filter-out $(LIBAML),$(filter %.c %.a,$^)) \
            $(filter $(LIBAML),$^) $(ALL_LDFLAGS) -lcriterion $(LIBS) -o $@
$(O)/tests/test_kn_%: tests/unit/test_kn_%.c $(LIBKN) $(O)/flags
	@mkdir -p $(dir $@)
	$(TEST_LINK)
$(O)/tests/test_mg_%: tests/unit/test_mg_%.c $(LIBMG) $(LIBKN) $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(TEST_LINK)
$(O)/tests/test_%: tests/unit/test_%.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(TEST_LINK)

$(LOCAL_SPEC): share/jupyter/kernels/automl/kernel.json.in $(KERNEL_BIN) \
              $(SPEC_EXTRA) $(wildcard share/jupyter/kernels/automl/ext/*)
	@mkdir -p $(dir $@)
	cp share/jupyter/kernels/automl/*.png $(dir $@) 2>/dev/null || true
	cp -R $(SPEC_EXTRA) $(dir $@)
	sed 's|@KERNEL@|$(abspath $(KERNEL_BIN))|' $< > $@.tmp && mv $@.tmp $@

# The bundled data sets are assembled into the binary (.incbin).
$(O)/obj/magics/mg_bundled.o: share/data/bank-marketing.csv.gz share/data/happydb-claff-train.csv.gz

-include $(shell find $(O) -name '*.d' 2>/dev/null)

# Per-subsystem fragments (fuzz targets, benchmarks, golden images, ...).
-include $(sort $(wildcard mk/*.mk))

# ---- dependencies from Debian ----
deps:
	@sh tools/deps.sh $(DEB_PACKAGES)
bench-deps:
	@sh tools/deps.sh $(sort $(BENCH_PACKAGES))
print-packages:
	@echo 'deps: $(sort $(DEB_PACKAGES))'
	@echo 'bench: $(sort $(BENCH_PACKAGES))'

# ---- install: user (default) or under PREFIX ----
ifdef PREFIX
BINDIR      := $(PREFIX)/bin
SPEC_TARGET := --prefix $(PREFIX)
else
BINDIR      := $(HOME)/.local/bin
SPEC_TARGET := --user
endif
install: all
	install -d $(BINDIR)
	install -m 755 $(KERNEL_BIN) $(BINDIR)/automl-kernel.tmp && mv $(BINDIR)/automl-kernel.tmp $(BINDIR)/automl-kernel
	rm -rf $(O)/spec && mkdir -p $(O)/spec/automl
	cp share/jupyter/kernels/automl/*.png share/jupyter/kernels/automl/*.js $(O)/spec/automl/ 2>/dev/null || true
	cp -R $(SPEC_EXTRA) $(O)/spec/automl/
	sed 's|@KERNEL@|$(abspath $(BINDIR))/automl-kernel|' share/jupyter/kernels/automl/kernel.json.in > $(O)/spec/automl/kernel.json
	$(PYTHON) -m jupyter_client.kernelspecapp install $(SPEC_TARGET) --replace --name automl $(O)/spec/automl
# The kernelspec this install wrote (by path: `kernelspec remove` takes the first one
# of that name on the search path, which may be another install's).
ifdef PREFIX
SPEC_DIR = $(PREFIX)/share/jupyter/kernels/automl
else
SPEC_DIR = $(shell $(PYTHON) -c 'import jupyter_core.paths as p; print(p.jupyter_data_dir())')/kernels/automl
endif
uninstall:
	rm -f $(BINDIR)/automl-kernel
	rm -rf $(SPEC_DIR)

# ---- tests ----
# Sanitizer reports go to files (Criterion counts a leaking test as passed);
# any report fails the run.  intercept_tls_get_addr=0: GCC 12's runtime takes some
# dynamic TLS blocks of dlopen'ed libraries (oneDNN, libgomp) for pre-2.25 glibc
# ones and its leak checker's tracer then dies reading them ("Tracer caught
# signal 11"); fixed upstream after GCC 13.
SAN_DIR  := $(abspath $(O)/sanitizer)
SAN_ENV  := ASAN_OPTIONS=log_path=$(SAN_DIR)/asan:detect_leaks=1:abort_on_error=0:intercept_tls_get_addr=0 \
            UBSAN_OPTIONS=log_path=$(SAN_DIR)/ubsan:print_stacktrace=1:halt_on_error=1 \
            LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0
TEST_ENV := $(SAN_ENV) JUPYTER_PATH=$(abspath $(O)/jupyter) AUTOML_KERNEL=$(abspath $(KERNEL_BIN)) \
            AUTOML_BUILD=$(BUILD) PYTHONDONTWRITEBYTECODE=1

test: deps
	$(MAKE) check
	$(MAKE) all $(UNIT_BINS)
	$(MAKE) unit integration

# The repository's own checks: every tools/check-* script, from the root; each prints
# one line per violation.
# (tools/check-sanitizer.sh is not one: it reads a test run's sanitizer logs.)
CHECKS := $(sort $(filter-out tools/check-sanitizer.sh,$(wildcard tools/check-*)))
check:
	@fail=0; for c in $(CHECKS); do ./$$c || fail=1; done; exit $$fail

unit: $(UNIT_BINS)
	@rm -rf $(SAN_DIR); mkdir -p $(SAN_DIR)
	@fail=0; for t in $(UNIT_BINS); do \
	  echo "== $$t"; $(TEST_ENV) $$t --jobs 2 || fail=1; done; \
	  sh tools/check-sanitizer.sh $(SAN_DIR) || fail=1; exit $$fail

# PYTEST_ARGS selects or adds (e.g. -m "not browser"; test files given, only those run,
# else setup.cfg's testpaths, tests/integration); a sanitizer build runs 2-3x slower,
# so its per-test time limit is longer.
PYTEST_ARGS ?=
PYTEST_TIMEOUT := $(if $(filter asan,$(BUILD)),600,180)
integration: all
	@rm -rf $(SAN_DIR); mkdir -p $(SAN_DIR)
	@fail=0; $(TEST_ENV) $(PYTHON) -m pytest --timeout=$(PYTEST_TIMEOUT) \
	  $(PYTEST_ARGS) || fail=1; \
	  sh tools/check-sanitizer.sh $(SAN_DIR) || fail=1; exit $$fail

# ---- demo ----
DEMO_NOTEBOOKS := notebooks/00-hello.ipynb notebooks/gallery.ipynb notebooks/01-bank-marketing.ipynb
demo: deps
	$(MAKE) install
	@for nb in $(DEMO_NOTEBOOKS); do $(PYTHON) tools/run_notebook.py $$nb $(O)/demo >$(O)/demo.log 2>&1 \
	  || { cat $(O)/demo.log; exit 1; }; echo "  ran $$nb"; done
	@echo
	@echo "The report:  $(abspath $(O)/demo/01-bank-marketing.html)"
	@echo "Open Jupyter with the kernel:  jupyter notebook notebooks/01-bank-marketing.ipynb"

# ---- benchmarks (never in CI) ----
bench: deps bench-deps all
	$(PYTHON) tests/bench/kernel_latency --kernel $(abspath $(KERNEL_BIN))

# ---- the kernelspec logos (committed; regenerate after changing tools/make_logo.c) ----
logos: $(O)/flags
	$(CC) $(ALL_CFLAGS) tools/make_logo.c $(ALL_LDFLAGS) $(LIBS) -o $(O)/make_logo
	$(O)/make_logo share/jupyter/kernels/automl

clean:
	rm -rf build
