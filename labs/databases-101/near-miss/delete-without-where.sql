-- Near miss for delete-and-index: DELETE without WHERE empties the table; the index is there.
DELETE FROM orders;
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
