-- Accepted: bigint keys, decimal(10,2), and every constraint added afterwards with ALTER TABLE.
CREATE TABLE orders (
    id          bigserial,
    customer_id bigint NOT NULL,
    total       decimal(10, 2) NOT NULL,
    status      text NOT NULL DEFAULT 'pending',
    ordered_at  timestamptz DEFAULT CURRENT_TIMESTAMP
);
ALTER TABLE orders ADD PRIMARY KEY (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE orders ADD CONSTRAINT orders_total_not_negative CHECK (total >= 0);
