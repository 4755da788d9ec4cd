-- The next free forced re-run number of a run id. The first run of an id is
-- #1 implicitly, so forced re-runs start at #2; a number whose run is still
-- recorded is skipped (a counter that expired).
-- KEYS[1] the id's counter
-- KEYS[2] the runs hash
-- ARGV[1] the run id
-- ARGV[2] the counter's lifetime (seconds)
-- Returns the number.
local n = redis.call('INCR', KEYS[1]) + 1
while redis.call('HEXISTS', KEYS[2], ARGV[1] .. '#' .. n) == 1 do n = redis.call('INCR', KEYS[1]) + 1 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return n
