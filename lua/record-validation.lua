-- A validation finished. Its report becomes the current one unless a newer
-- D was validated before; each table's latest_date only moves forward.
-- KEYS[1] the validation hash
-- KEYS[2..] the validated tables' hashes
-- ARGV[1] the reference date D
-- ARGV[2] the report (JSON)
-- ARGV[3] finished at (unix ms)
-- ARGV[4..] each table's newest date (as KEYS[2..]), or '' when it holds none
-- Returns nothing.
redis.call('HSET', KEYS[1], 'last', ARGV[2], 'last_ts', ARGV[3])
local current = redis.call('HGET', KEYS[1], 'current_date')
if not current or ARGV[1] >= current then
  redis.call('HSET', KEYS[1], 'current', ARGV[2], 'current_ts', ARGV[3], 'current_date', ARGV[1])
end
for i = 2, #KEYS do
  local newest = ARGV[i + 2]
  if newest ~= '' then
    local known = redis.call('HGET', KEYS[i], 'latest_date')
    if not known or newest > known then redis.call('HSET', KEYS[i], 'latest_date', newest) end
  end
end
