-- Near miss for aggregate: a list of statuses that leaves one out (shipped) instead of "not cancelled".
SELECT c.name, count(*) AS order_count, sum(o.total) AS total_spent
FROM customers AS c
JOIN orders AS o ON o.customer_id = c.id
WHERE o.status IN ('paid', 'pending')
GROUP BY c.id, c.name
HAVING count(*) >= 2
ORDER BY total_spent DESC;
