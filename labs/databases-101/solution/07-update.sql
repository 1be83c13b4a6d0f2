UPDATE orders
SET status = 'shipped'
WHERE customer_id = (SELECT id FROM customers WHERE email = 'bruno@example.com');
