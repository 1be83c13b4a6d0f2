-- Near miss for having: >= 410 keeps a category whose revenue is exactly 410.00 (the task says above).
SELECT p.category, sum(oi.quantity * oi.unit_price) AS revenue
FROM order_items AS oi
JOIN orders AS o ON o.id = oi.order_id
JOIN products AS p ON p.id = oi.product_id
WHERE o.status <> 'cancelled'
GROUP BY p.category
HAVING sum(oi.quantity * oi.unit_price) >= 410
ORDER BY revenue DESC;
