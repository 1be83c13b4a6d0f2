-- Near miss for having: uses the product's price of today instead of the price paid (unit_price).
SELECT p.category, sum(oi.quantity * p.price) AS revenue
FROM order_items AS oi
JOIN orders AS o ON o.id = oi.order_id
JOIN products AS p ON p.id = oi.product_id
WHERE o.status <> 'cancelled'
GROUP BY p.category
HAVING sum(oi.quantity * p.price) > 410
ORDER BY revenue DESC;
