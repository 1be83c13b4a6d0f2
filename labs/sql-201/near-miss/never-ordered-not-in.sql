-- Near miss for never-ordered: NOT IN over a column holding a NULL is never true, so no row comes back.
SELECT p.name, p.category, p.price
FROM products AS p
WHERE p.id NOT IN (SELECT oi.product_id FROM order_items AS oi)
ORDER BY p.name;
