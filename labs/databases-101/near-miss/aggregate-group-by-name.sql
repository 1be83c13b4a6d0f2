-- Near miss for aggregate: grouped by name only: two customers with the same name become one.
SELECT c.name, count(*) AS order_count, sum(o.total) AS total_spent
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
WHERE o.status <> 'cancelled'
GROUP BY c.name
HAVING count(*) >= 2
ORDER BY total_spent DESC;
