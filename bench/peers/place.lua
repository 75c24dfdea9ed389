-- place.lua: one single-line order of bench/peers/run.sh's stream, decided the way ordercore's
-- place decides it, as one Redis script (EVALSHA; a script runs alone, so the whole decision is
-- atomic):
--   duplicate key   the order's record exists: answer its first status again, change nothing;
--   stock           the SKU's available units less than the quantity: out_of_stock;
--   customer limit  the SKU has a limit per customer (0: none) and the customer's units of it
--                   with this order's would pass it: limit_exceeded;
--   then            the units leave the stock and count against the customer: accepted;
--   record          every decided order (accepted or not) is kept under its key, as the
--                   engine keeps it, and counted by status.
-- The checks are in the engine's order (engine/stages/inventory.c, reserve: stock, then limit).
-- KEYS[1] o:KEY (the order's record: a hash), KEYS[2] stock (hash: SKU -> available units),
-- KEYS[3] limits (hash: SKU -> limit per customer; absent: none), KEYS[4] bought:SKU (hash:
-- customer -> units bought), KEYS[5] stats (hash: status -> orders, and duplicate).
-- ARGV[1] customer, ARGV[2] SKU, ARGV[3] quantity. Returns the status.
local status = redis.call('HGET', KEYS[1], 'status')
if status then
	redis.call('HINCRBY', KEYS[5], 'duplicate', 1)
	return status
end
local customer, sku, quantity = ARGV[1], ARGV[2], tonumber(ARGV[3])
local available = tonumber(redis.call('HGET', KEYS[2], sku))
if not available then
	return 'unknown_sku' -- refused before the key is kept, as the engine does
end
if available < quantity then
	status = 'out_of_stock'
else
	local limit = tonumber(redis.call('HGET', KEYS[3], sku) or '0')
	if limit > 0 then
		local bought = tonumber(redis.call('HGET', KEYS[4], customer) or '0')
		if bought + quantity > limit then
			status = 'limit_exceeded'
		else
			redis.call('HINCRBY', KEYS[4], customer, quantity)
		end
	end
	if not status then
		redis.call('HINCRBY', KEYS[2], sku, -quantity)
		status = 'accepted'
	end
end
redis.call('HSET', KEYS[1], 'customer', customer, 'sku', sku, 'quantity', quantity,
	'status', status)
redis.call('HINCRBY', KEYS[5], status, 1)
return status
