# mk/fuzz.mk — the libFuzzer targets (clang, ASan + UBSan + libFuzzer).
#
#   make fuzz [FUZZ_SECONDS=60]        every target in FUZZ_TARGETS for N seconds
#                                      each; fails if any of them crashes
#   make fuzz-csv [FUZZ_SECONDS=...]   one target (fuzz-model, ...)
#   make fuzz-model-corpus             regenerate tests/fuzz/corpus/model/
#
# A target NAME is tests/fuzz/fuzz_NAME.c, built as build/fuzz/fuzz_NAME, and
# its committed seed corpus is tests/fuzz/corpus/NAME/; what it finds while
# running goes to build/fuzz/corpus-NAME/ and crashes to build/fuzz/artifacts/
# (reproduce one with build/fuzz/fuzz_NAME build/fuzz/artifacts/crash-...).
# Another subsystem adds a target with `FUZZ_TARGETS += NAME` and a rule for
# $(FUZZ_DIR)/fuzz_NAME in its own mk fragment.

DEB_PACKAGES += libclang-rt-14-dev clang

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
FUZZ_TARGETS += csv model wire cell
FUZZ_BASE    := -std=c11 -D_GNU_SOURCE -g -O1 -fno-sanitize-recover=undefined \
                -Iengine/include -Iengine -Ikernel -Imagics -Iserve
FUZZ_CFLAGS  := $(FUZZ_BASE) -fsanitize=fuzzer,address,undefined
# Largest input each target is given (libFuzzer -max_len).
FUZZ_MAX_LEN_csv   := 65536
FUZZ_MAX_LEN_model := 262144
FUZZ_MAX_LEN_cell  := 16384

# ---- csv: aml_csv_read_buffer.  The data subsystem's own files only: the
# other engine modules bring libraries this target does not link.
# (image sets decode PNG and JPEG: DATA_ENGINE_LIBS)
DATA_ENGINE_LIBS = $(shell pkg-config --cflags --libs libpng libjpeg zlib)
DATA_ENGINE_SRC := $(wildcard engine/base/*.c engine/data/*.c \
                     engine/analyze/*.c)

$(FUZZ_DIR)/fuzz_csv: tests/fuzz/fuzz_csv.c $(DATA_ENGINE_SRC) $(wildcard engine/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_csv.c $(DATA_ENGINE_SRC) $(DATA_ENGINE_LIBS) -lm -pthread -o $@

# ---- model: aml_model_load (+ a prediction when it loads): the whole engine,
# built with the fuzzer's instrumentation under build/fuzz/obj/.
FUZZ_ENGINE_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard engine/*/*.c))

$(FUZZ_DIR)/obj/%.o: %.c $(wildcard engine/*/*.h kernel/*.h magics/*.h serve/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BASE) -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS) \
	  -pthread -c $< -o $@

$(FUZZ_DIR)/fuzz_model: tests/fuzz/fuzz_model.c $(FUZZ_ENGINE_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) tests/fuzz/fuzz_model.c \
	  $(FUZZ_ENGINE_OBJ) $(PKG_LIBS) -ldl -lm -pthread -o $@

# ---- wire: the kernel's message codec (kn_msg_decode with and without a key).
FUZZ_WIRE_SRC := kernel/kn_message.c kernel/kn_sign.c kernel/kn_text.c
$(FUZZ_DIR)/fuzz_wire: tests/fuzz/fuzz_wire.c $(FUZZ_WIRE_SRC) $(wildcard kernel/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) tests/fuzz/fuzz_wire.c $(FUZZ_WIRE_SRC) \
	  $(shell pkg-config --cflags --libs jansson libsodium) -pthread -o $@

# ---- cell: the cell language (parser, option binding, completion): the magics
# link everything below them, so every layer is built with the instrumentation.
FUZZ_ALL_OBJ := $(FUZZ_ENGINE_OBJ) $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(KERNEL_SRC) $(MAGICS_SRC) \
                  $(filter-out serve/main.c,$(wildcard serve/*.c)))
$(FUZZ_DIR)/obj/magics/mg_bundled.o: share/data/bank-marketing.csv.gz share/data/happydb-claff-train.csv.gz
$(FUZZ_DIR)/fuzz_cell: tests/fuzz/fuzz_cell.c $(FUZZ_ALL_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(PKG_CFLAGS) tests/fuzz/fuzz_cell.c \
	  $(FUZZ_ALL_OBJ) $(PKG_LIBS) -ldl -lm -pthread -o $@

# ---- running ----
# (fuzz-NAME is a pattern rule, so it is not listed as .PHONY: make skips
# pattern rules for phony targets.)
.PHONY: fuzz fuzz-model-corpus
fuzz-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus-$* $(FUZZ_DIR)/artifacts/
	$(FUZZ_DIR)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -max_len=$(or $(FUZZ_MAX_LEN_$*),65536) \
	  -timeout=10 -rss_limit_mb=2048 -artifact_prefix=$(FUZZ_DIR)/artifacts/ \
	  -print_final_stats=1 $(if $(FUZZ_DICT_$*),-dict=$(FUZZ_DICT_$*)) \
	  $(FUZZ_DIR)/corpus-$* tests/fuzz/corpus/$*

# Every target, one after the other; fails when any of them found a crash.
fuzz: $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
	@fail=""; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz-$$t ($(FUZZ_SECONDS) s)"; \
	  $(MAKE) --no-print-directory fuzz-$$t FUZZ_SECONDS=$(FUZZ_SECONDS) || fail="$$fail $$t"; \
	done; \
	if [ -n "$$fail" ]; then echo "fuzz: crashes in:$$fail (see $(FUZZ_DIR)/artifacts/)"; exit 1; fi; \
	echo "fuzz: every target ran clean"

# The model corpus: small valid files of each kind, from a tiny search each.
$(O)/tools/gen_model_corpus: tests/fuzz/gen_model_corpus.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

fuzz-model-corpus: $(O)/tools/gen_model_corpus
	@mkdir -p tests/fuzz/corpus/model
	$(O)/tools/gen_model_corpus tests/fuzz/corpus/model
