-- Near miss for delete-and-index: the index is on orders(status) instead of orders(customer_id).
DELETE FROM orders WHERE status = 'cancelled';
CREATE INDEX orders_status_idx ON orders (status);
