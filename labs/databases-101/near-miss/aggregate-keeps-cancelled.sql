-- Near miss for aggregate: no WHERE on status, so cancelled orders are counted and Daniel appears.
SELECT c.name, count(*) AS order_count, sum(o.total) AS total_spent
FROM customers c
JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c.name
HAVING count(*) >= 2
ORDER BY total_spent DESC;
