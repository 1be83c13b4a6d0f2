-- Accepted: an anti-join written as LEFT JOIN ... IS NULL.
SELECT p.name, p.category, p.price
FROM products p
LEFT JOIN order_items oi ON oi.product_id = p.id
WHERE oi.order_id IS NULL
ORDER BY p.name;
