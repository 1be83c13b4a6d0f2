-- Near miss for left-join: INNER JOIN drops the customers who never ordered.
SELECT c.name, count(o.id) AS order_count
FROM customers AS c
INNER JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id, c.name
ORDER BY order_count DESC, c.name;
