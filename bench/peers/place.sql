-- place.sql: the tables and the one plpgsql function per order of bench/peers/run.sh's
-- PostgreSQL peer: place(key, customer, sku, quantity) decides a single-line order the way
-- ordercore's place does, in one transaction (the caller's: one SELECT place(...) a
-- transaction, autocommit):
--   duplicate key   the order's row exists: answer 'duplicate ' and its first status, change
--                   nothing;
--   stock           the SKU's available units less than the quantity: out_of_stock;
--   customer limit  the SKU has a limit per customer (0: none) and the customer's units of it
--                   with this order's would pass it: limit_exceeded;
--   then            the units leave the stock and count against the customer: accepted;
--   record          every decided order (accepted or not) is kept under its key.
-- The checks are in the engine's order (engine/stages/inventory.c, reserve: stock, then limit).
-- The SKU's row is locked first: every attempt at a key names the same SKU (the stream's orders
-- have one line), so a retry racing its original waits there, and its next statement (a new
-- snapshot, READ COMMITTED) sees the original's row. One lock per order: no deadlock.
CREATE TABLE stock (
	sku integer PRIMARY KEY,
	units integer NOT NULL,                 -- the dataset's, over its warehouses
	available integer NOT NULL CHECK (available >= 0),
	limit_per_customer integer NOT NULL     -- 0: none
);
CREATE TABLE bought (
	customer bigint NOT NULL,
	sku integer NOT NULL,
	units integer NOT NULL,
	PRIMARY KEY (customer, sku)
);
CREATE TABLE orders (
	key bigint PRIMARY KEY,
	customer bigint NOT NULL,
	sku integer NOT NULL,
	quantity integer NOT NULL,
	status text NOT NULL
);

CREATE FUNCTION place(p_key bigint, p_customer bigint, p_sku integer, p_quantity integer)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	v_available integer;
	v_limit integer;
	v_status text;
BEGIN
	SELECT available, limit_per_customer INTO v_available, v_limit
		FROM stock WHERE sku = p_sku FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'unknown_sku'; -- refused before the key is kept, as the engine does
	END IF;
	SELECT status INTO v_status FROM orders WHERE key = p_key;
	IF FOUND THEN
		RETURN 'duplicate ' || v_status;
	END IF;
	IF v_available < p_quantity THEN
		v_status := 'out_of_stock';
	ELSIF v_limit > 0 AND p_quantity > v_limit THEN
		v_status := 'limit_exceeded';
	ELSIF v_limit > 0 THEN
		INSERT INTO bought AS b VALUES (p_customer, p_sku, p_quantity)
			ON CONFLICT (customer, sku) DO UPDATE SET units = b.units + p_quantity
			WHERE b.units + p_quantity <= v_limit;
		IF NOT FOUND THEN
			v_status := 'limit_exceeded';
		END IF;
	END IF;
	IF v_status IS NULL THEN
		UPDATE stock SET available = available - p_quantity WHERE sku = p_sku;
		v_status := 'accepted';
	END IF;
	INSERT INTO orders VALUES (p_key, p_customer, p_sku, p_quantity, v_status);
	RETURN v_status;
END
$$;
