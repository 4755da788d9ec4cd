-- Store the read cache's answers within its budget: each answer is set with
-- its lifetime and indexed by age with its size, then the oldest are evicted
-- until the total is within the budget.
-- KEYS[1] the index (zset: key -> stored at)
-- KEYS[2] the sizes (hash: key -> bytes)
-- KEYS[3] the total (string, bytes)
-- KEYS[4..] the answers' keys
-- ARGV[1] now (unix ms)
-- ARGV[2] the budget (bytes)
-- ARGV[3] the overhead counted per key (bytes)
-- ARGV[4..] per answer (as KEYS[4..]): its body, then its lifetime (seconds)
-- Returns how many keys were evicted.
local index, sizes, total = KEYS[1], KEYS[2], KEYS[3]
local now, max, overhead = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 4, #KEYS do
  local key, body, ttl = KEYS[i], ARGV[2 * (i - 2)], ARGV[2 * (i - 2) + 1]
  local size = string.len(body) + string.len(key) + overhead
  local old = tonumber(redis.call('HGET', sizes, key) or '0')
  redis.call('SET', key, body, 'EX', ttl)
  redis.call('ZADD', index, now, key)
  redis.call('HSET', sizes, key, size)
  redis.call('INCRBY', total, size - old)
end
local evicted = 0
while tonumber(redis.call('GET', total) or '0') > max do
  local oldest = redis.call('ZPOPMIN', index)
  if #oldest == 0 then redis.call('SET', total, 0) break end
  local size = tonumber(redis.call('HGET', sizes, oldest[1]) or '0')
  redis.call('HDEL', sizes, oldest[1])
  redis.call('DEL', oldest[1])
  redis.call('DECRBY', total, size)
  evicted = evicted + 1
end
return evicted
