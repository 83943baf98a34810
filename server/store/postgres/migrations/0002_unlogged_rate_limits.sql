-- Rate-limit counters are written on every create and session start, and are worth nothing
-- after a crash: unlogged, they skip the write-ahead log (no fsync per count) and start
-- again from zero if PostgreSQL itself crashes, which is what a new window would do anyway.
ALTER TABLE rate_limits SET UNLOGGED;
