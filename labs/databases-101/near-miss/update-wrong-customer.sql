-- Near miss for update: the orders of the wrong customer (Alice instead of Bruno) are shipped.
UPDATE orders
SET status = 'shipped'
WHERE customer_id = (SELECT id FROM customers WHERE email = 'alice@example.com');
