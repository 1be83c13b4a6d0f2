DELETE FROM orders WHERE status = 'cancelled';

-- Near miss for delete-and-index: a partial index, for one customer only.
CREATE INDEX orders_customer_42_idx ON orders (customer_id) WHERE customer_id = 42;
