-- Accepted: UPDATE ... FROM, joining the customer instead of a subquery.
UPDATE orders AS o
SET status = 'shipped'
FROM customers AS c
WHERE c.id = o.customer_id AND c.email = 'bruno@example.com';
