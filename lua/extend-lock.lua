-- Renew a lock only while it still holds the caller's token.
-- KEYS[1] the lock
-- ARGV[1] the caller's token
-- ARGV[2] its new lifetime (ms)
-- Returns 1 when renewed, 0 when the lock is no longer the caller's.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end
