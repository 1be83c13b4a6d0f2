-- Near miss for top-products: ROW_NUMBER keeps one product per category, even when two are tied.
SELECT category, name, units_sold
FROM (
    SELECT p.category, p.name, sum(oi.quantity) AS units_sold,
           ROW_NUMBER() OVER (PARTITION BY p.category ORDER BY sum(oi.quantity) DESC) AS rn
    FROM order_items AS oi
    JOIN orders AS o ON o.id = oi.order_id
    JOIN products AS p ON p.id = oi.product_id
    WHERE o.status <> 'cancelled'
    GROUP BY p.category, p.name
) AS ranked
WHERE rn = 1
ORDER BY category, name;
