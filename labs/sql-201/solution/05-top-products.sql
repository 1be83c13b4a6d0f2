-- Task 5: the best-selling product(s) of each category, ties kept.
SELECT category, name, units_sold
FROM (
    SELECT p.category, p.name, sum(oi.quantity) AS units_sold,
           RANK() OVER (PARTITION BY p.category ORDER BY sum(oi.quantity) DESC) AS rnk
    FROM order_items AS oi
    JOIN orders AS o ON o.id = oi.order_id
    JOIN products AS p ON p.id = oi.product_id
    WHERE o.status <> 'cancelled'
    GROUP BY p.category, p.name
) AS ranked
WHERE rnk = 1
ORDER BY category, name;
