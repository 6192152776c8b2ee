"""Hold a DuckDB file's write lock: ``python hold_lock.py <db> <seconds>``; prints "locked"."""

import sys
import time

import duckdb

con = duckdb.connect(sys.argv[1])
con.execute("create table if not exists _lock_holder (x integer)")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
