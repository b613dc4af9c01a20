# mk/data.mk — the data subsystem (frames, CSV reader, analysis): the CSV
# fuzz target, the CSV benchmark driver, and the bundled data set.
#
#   make fuzz-csv [FUZZ_SECONDS=600]   libFuzzer + ASan/UBSan on aml_csv_read_buffer
#   make bench-csv                     our reader vs pandas.read_csv (tests/bench/csv)

DEB_PACKAGES += libclang-rt-14-dev clang

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
# The data subsystem's own files only: the other engine modules (charts,
# learners, ...) bring libraries the fuzz target does not link.
DATA_ENGINE_SRC := $(wildcard engine/alloc.c engine/error.c engine/csv*.c engine/frame*.c \
                     engine/infer*.c engine/analyze*.c)

$(FUZZ_DIR)/fuzz_csv: tests/fuzz/fuzz_csv.c $(DATA_ENGINE_SRC) $(wildcard engine/*.h engine/include/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -Iengine/include -Iengine \
	  tests/fuzz/fuzz_csv.c $(DATA_ENGINE_SRC) -lz -lm -pthread -o $@

.PHONY: fuzz-csv bench-csv
fuzz-csv: $(FUZZ_DIR)/fuzz_csv
	@mkdir -p $(FUZZ_DIR)/corpus-csv $(FUZZ_DIR)/artifacts/
	$(FUZZ_DIR)/fuzz_csv -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	  -artifact_prefix=$(FUZZ_DIR)/artifacts/ -print_final_stats=1 \
	  $(FUZZ_DIR)/corpus-csv tests/fuzz/corpus/csv

$(O)/bench/csv_bench: tests/bench/csv_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

bench-csv: $(O)/bench/csv_bench
	$(PYTHON) tests/bench/csv --driver $(O)/bench/csv_bench

# The bundled data set (share/data/bank-marketing.csv.gz) is committed; this
# rule regenerates it from the shared copy.
share/data/bank-marketing.csv.gz:
	@mkdir -p $(dir $@)
	gzip -9n < ../shared/data/bank-full.csv > $@
