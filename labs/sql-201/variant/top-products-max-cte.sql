-- Accepted: units per product in a CTE, kept when equal to the category's maximum (ties kept).
WITH units AS (
    SELECT p.category, p.name, sum(oi.quantity) AS units_sold
    FROM order_items oi
    JOIN orders o ON o.id = oi.order_id AND o.status != 'cancelled'
    JOIN products p ON p.id = oi.product_id
    GROUP BY p.category, p.name
)
SELECT u.category, u.name, u.units_sold
FROM units u
WHERE u.units_sold = (SELECT max(units_sold) FROM units m WHERE m.category = u.category)
ORDER BY u.category, u.name;
