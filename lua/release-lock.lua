-- Delete a lock only while it still holds the caller's token (a lock that
-- expired and passed to another holder is left alone).
-- KEYS[1] the lock
-- ARGV[1] the caller's token
-- Returns 1 when deleted, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end
