-- Task 6: per customer, the number and the sum of their orders that are not cancelled,
-- only customers with at least 2 such orders, biggest sum first.
SELECT c.name, count(*) AS order_count, sum(o.total) AS total_spent
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
WHERE o.status <> 'cancelled'
GROUP BY c.id, c.name
HAVING count(*) >= 2
ORDER BY total_spent DESC;
