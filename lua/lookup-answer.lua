-- The read cache's hit path in one round trip: the generations of the
-- tables an answer reads, and the answer stored under them. The answer's
-- key is built here from the generations, so it cannot be listed in KEYS:
-- the generations and the cache must be in one Redis (api/cache.ts reads
-- them one after the other when CACHE_REDIS_URL puts the cache apart).
-- KEYS[1] the generations (hash: table -> number)
-- ARGV[1] the start of the answer's key (`<prefix>:api:v1:<route>:`)
-- ARGV[2] the end of the answer's key (`:<hash of the parameters>`)
-- ARGV[3..] the tables the answer reads
-- Returns {the generations joined with '.', 0 for a table never refreshed}, then, when the
-- answer is stored, the answer and its remaining time to live (ms).
local generations = redis.call('HMGET', KEYS[1], unpack(ARGV, 3))
for i = 1, #generations do generations[i] = generations[i] or '0' end
local joined = table.concat(generations, '.')
local key = ARGV[1] .. joined .. ARGV[2]
local answer = redis.call('GET', key)
if not answer then return {joined} end
return {joined, answer, redis.call('PTTL', key)}
