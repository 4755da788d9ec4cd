-- Drop the runs planned before a time, with what is kept per run. A claim
-- that never finished leaves the runs in progress with its record.
-- KEYS[1] the history's index (zset by planning time)
-- KEYS[2] the runs hash
-- KEYS[3] the runs in progress (zset)
-- KEYS[4] the runs' start times (hash)
-- ARGV[1] the oldest planning time kept (unix ms)
-- ARGV[2..] prefixes of the keys kept per run (`<prefix><run id>`: task lists, done markers)
-- Returns how many runs were dropped.
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for _, id in ipairs(old) do
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  for i = 2, #ARGV do redis.call('DEL', ARGV[i] .. id) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return #old
