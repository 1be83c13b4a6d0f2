-- Near miss for top-products: cancelled orders are counted (no WHERE on status); the seed's cancelled
-- orders do not change a winner, other data does.
SELECT category, name, units_sold
FROM (
    SELECT p.category, p.name, sum(oi.quantity) AS units_sold,
           RANK() OVER (PARTITION BY p.category ORDER BY sum(oi.quantity) DESC) AS rnk
    FROM order_items AS oi
    JOIN products AS p ON p.id = oi.product_id
    GROUP BY p.category, p.name
) AS ranked
WHERE rnk = 1
ORDER BY category, name;
