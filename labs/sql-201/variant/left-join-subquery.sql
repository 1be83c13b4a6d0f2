-- Accepted: a correlated subquery counts each customer's orders; no join at all.
SELECT c.name, (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) AS order_count
FROM customers c
ORDER BY order_count DESC, name ASC;
