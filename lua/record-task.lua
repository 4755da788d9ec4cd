-- A table task settled. `failed_<task>` holds the newest D whose task
-- failed: a success for that D or a later one clears it, an older D's
-- success does not. A successful refresh also sets last_success_ts and
-- rows_written, in the same step as its record. With KEYS[2] (a run's done
-- markers, see state/done-markers.ts) a success is recorded once.
-- KEYS[1] the table's hash
-- KEYS[2] optional: the run's done markers (hash)
-- ARGV[1] the task (refresh, retention)
-- ARGV[2] its reference date D
-- ARGV[3] its outcome (success, failure)
-- ARGV[4] its record (JSON)
-- ARGV[5] finished at (unix ms)
-- ARGV[6] rows written
-- ARGV[7] with KEYS[2]: the done marker's field
-- ARGV[8] with KEYS[2]: the markers' lifetime (seconds)
-- Returns 1 when recorded, 0 when this success was recorded before.
if #KEYS > 1 and ARGV[3] == 'success' then
  if redis.call('HSETNX', KEYS[2], ARGV[7], '1') == 0 then return 0 end
  redis.call('EXPIRE', KEYS[2], ARGV[8])
end
redis.call('HSET', KEYS[1], 'last_' .. ARGV[1], ARGV[4])
if ARGV[1] == 'refresh' and ARGV[3] == 'success' then
  redis.call('HSET', KEYS[1], 'last_success_ts', ARGV[5], 'rows_written', ARGV[6])
end
local failed = redis.call('HGET', KEYS[1], 'failed_' .. ARGV[1])
if ARGV[3] == 'failure' then
  if not failed or ARGV[2] >= failed then redis.call('HSET', KEYS[1], 'failed_' .. ARGV[1], ARGV[2]) end
elseif failed and ARGV[2] >= failed then
  redis.call('HDEL', KEYS[1], 'failed_' .. ARGV[1])
end
return 1
