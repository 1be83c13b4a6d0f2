-- Accepted: the older comma join, its condition in WHERE.
SELECT c.name, o.total, o.status
FROM customers c, orders o
WHERE o.customer_id = c.id
  AND o.status = 'paid'
ORDER BY 2 DESC;
