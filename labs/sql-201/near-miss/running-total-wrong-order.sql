-- Near miss for running-total: the running total follows the order ids, not the days; today's ids
-- happen to follow the days.
SELECT day, revenue, sum(revenue) OVER (ORDER BY first_id) AS running_total
FROM (
    SELECT o.ordered_on AS day, min(o.id) AS first_id, sum(oi.quantity * oi.unit_price) AS revenue
    FROM orders AS o
    JOIN order_items AS oi ON oi.order_id = o.id
    WHERE o.status <> 'cancelled'
    GROUP BY o.ordered_on
) AS per_day
ORDER BY first_id;
