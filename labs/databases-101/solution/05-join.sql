-- Task 5: every paid order with the name of its customer, biggest total first.
SELECT c.name, o.total, o.status
FROM orders AS o
INNER JOIN customers AS c ON c.id = o.customer_id
WHERE o.status = 'paid'
ORDER BY o.total DESC;
