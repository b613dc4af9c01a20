# mk/data.mk — the data subsystem (frames, CSV reader, analysis): the CSV
# benchmark driver.  (The CSV fuzz target is in mk/fuzz.mk; the bundled data
# sets in share/data/ are committed files, see share/data/README.md.)
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

