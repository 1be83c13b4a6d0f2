DELETE FROM orders WHERE status = 'cancelled';

-- Near miss for delete-and-index: a hash index; the task asks for the default kind, a B-tree.
CREATE INDEX orders_customer_id_idx ON orders USING hash (customer_id);
