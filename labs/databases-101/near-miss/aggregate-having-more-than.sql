-- Near miss for aggregate: HAVING count(*) > 2 instead of >= 2, so nobody is left.
SELECT c.name, count(*) AS order_count, sum(o.total) AS total_spent
FROM customers c
JOIN orders o ON o.customer_id = c.id
WHERE o.status <> 'cancelled'
GROUP BY c.id, c.name
HAVING count(*) > 2
ORDER BY total_spent DESC;
