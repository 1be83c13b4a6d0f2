-- Near miss for join: LEFT JOIN from customers, with the filter in ON, keeps Hugo with NULLs.
SELECT c.name, o.total, o.status
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id AND o.status = 'paid'
ORDER BY o.total DESC;
