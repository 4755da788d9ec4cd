-- Claim a run: its record and its place in the history's index are written
-- in one step, so no record is ever left out of the index (and of the
-- history's pruning).
-- KEYS[1] the runs hash
-- KEYS[2] the history's index (zset by planning time)
-- KEYS[3] the runs in progress (zset by planning time)
-- ARGV[1] the run id
-- ARGV[2] the run's record (JSON)
-- ARGV[3] planned at (unix ms)
-- ARGV[4] '1' when the run is tracked (counted as in progress)
-- Returns 1 when claimed, 0 when it was claimed before.
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1]) end
return 1
