# mk/data.mk — the data subsystem (frames, CSV reader, analysis): the CSV
# benchmark driver and the bundled data set.  (The CSV fuzz target is in
# mk/fuzz.mk.)
#
#   make bench-csv                     the %import and %analyze cells through the kernel
#                                      vs pandas.read_csv (tests/bench/csv)

$(O)/bench/csv_bench: tests/bench/csv_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

.PHONY: bench-csv
bench: bench-csv
bench-csv: $(O)/bench/csv_bench $(KERNEL_BIN)
	$(PYTHON) tests/bench/csv --driver $(O)/bench/csv_bench --kernel $(abspath $(KERNEL_BIN))

# The bundled data set (share/data/bank-marketing.csv.gz) is committed; this
# rule regenerates it from the shared copy.
share/data/bank-marketing.csv.gz:
	@mkdir -p $(dir $@)
	gzip -9n < ../shared/data/bank-full.csv > $@
