-- Near miss for create-orders: total is an integer, so 35.50 would be rounded to 36.
CREATE TABLE orders (
    id          SERIAL PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    total       integer NOT NULL CHECK (total >= 0),
    status      text NOT NULL DEFAULT 'pending',
    ordered_at  timestamptz DEFAULT now()
);
