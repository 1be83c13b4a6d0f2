-- Accepted: an index with the method written out and no name of its own, the DELETE with IN.
DELETE FROM orders WHERE status IN ('cancelled');
CREATE INDEX ON orders USING btree (customer_id);
