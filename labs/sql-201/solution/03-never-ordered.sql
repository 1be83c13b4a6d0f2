-- Task 3: products that appear in no order line at all.
SELECT p.name, p.category, p.price
FROM products AS p
WHERE NOT EXISTS (
    SELECT 1 FROM order_items AS oi WHERE oi.product_id = p.id
)
ORDER BY p.name;
