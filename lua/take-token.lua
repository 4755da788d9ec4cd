-- A token bucket: refill, then take one token if there is one. The bucket
-- expires once it would be full again.
-- KEYS[1] the client's bucket (hash: tokens, ts)
-- ARGV[1] the refill rate (tokens a minute)
-- ARGV[2] the burst (the bucket's size)
-- ARGV[3] now (unix ms)
-- Returns {1, 0} when taken, {0, ms until a token} otherwise.
local rate = tonumber(ARGV[1]) / 60000
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return {allowed, wait}
