-- Accepted: grouped by the order's primary key and the customer's (PostgreSQL knows the other columns
-- follow from them), columns named in the view's header.
CREATE OR REPLACE VIEW order_totals (order_id, customer, ordered_on, status, total) AS
SELECT o.id, c.name, o.ordered_on, o.status, sum(oi.quantity * oi.unit_price)::numeric(12,2)
FROM orders o
INNER JOIN customers c ON c.id = o.customer_id
INNER JOIN order_items oi ON oi.order_id = o.id
WHERE o.status IN ('pending', 'paid', 'shipped')
GROUP BY o.id, c.id;
