# mk/data.mk — the data subsystem (frames, CSV reader, analysis): the CSV
# benchmark driver.  (The CSV fuzz target is in mk/fuzz.mk; the bundled data
# sets in share/data/ are committed files, see share/data/README.md.)
#
#   make bench-csv                     our reader vs pandas.read_csv (tests/bench/csv)

$(O)/bench/csv_bench: tests/bench/csv_bench.c $(LIBAML) $(O)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(LIBAML) $(ALL_LDFLAGS) $(LIBS) -o $@

bench-csv: $(O)/bench/csv_bench
	$(PYTHON) tests/bench/csv --driver $(O)/bench/csv_bench
