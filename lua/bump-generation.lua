-- A table's data changed: its generation goes up by one, its newest
-- refreshed date is kept, and the change is announced as
-- `<table> <date> newest|past <generation>` (`past`: a date older than one
-- refreshed before, as a backfill's).
-- KEYS[1] the generations (hash: table -> number)
-- KEYS[2] the newest refreshed dates (hash: table -> date)
-- ARGV[1] the table
-- ARGV[2] the refreshed date, or '' (a retention that deleted rows)
-- ARGV[3] the channel to announce on
-- Returns the new generation.
local generation = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
local newest = redis.call('HGET', KEYS[2], ARGV[1])
local kind = 'newest'
if ARGV[2] ~= '' then
  if newest and ARGV[2] < newest then kind = 'past' else redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
end
redis.call('PUBLISH', ARGV[3], ARGV[1] .. ' ' .. ARGV[2] .. ' ' .. kind .. ' ' .. generation)
return generation
