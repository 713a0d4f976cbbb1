# sqlfuzz: the pieces of fuzz/sql_fuzz.py, the SQL-level fuzzer of authoob's
# request functions (see that file for how to run it).
