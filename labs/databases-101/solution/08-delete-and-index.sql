DELETE FROM orders WHERE status = 'cancelled';

CREATE INDEX orders_customer_id_idx ON orders (customer_id);
