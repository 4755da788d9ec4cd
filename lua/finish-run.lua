-- A run finished: it leaves the runs in progress, and its record is
-- replaced only if it is still there, so a record dropped from the history
-- meanwhile is not written back unindexed.
-- KEYS[1] the runs hash
-- KEYS[2] the runs in progress (zset)
-- ARGV[1] the run id
-- ARGV[2] the updated record (JSON)
-- Returns 1 when written, 0 when the record was gone.
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
