-- Task 6: revenue per day (orders that are not cancelled) and the running total since the first day.
SELECT o.ordered_on AS day,
       sum(oi.quantity * oi.unit_price) AS revenue,
       sum(sum(oi.quantity * oi.unit_price)) OVER (ORDER BY o.ordered_on) AS running_total
FROM orders AS o
JOIN order_items AS oi ON oi.order_id = o.id
WHERE o.status <> 'cancelled'
GROUP BY o.ordered_on
ORDER BY day;
