-- Near miss for left-join: count(*) counts the NULL row of a customer without orders as 1.
SELECT c.name, count(*) AS order_count
FROM customers AS c
LEFT JOIN orders AS o ON o.customer_id = c.id
GROUP BY c.id, c.name
ORDER BY order_count DESC, c.name;
