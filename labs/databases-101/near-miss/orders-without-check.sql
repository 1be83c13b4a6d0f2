-- Near miss for create-orders: everything is right except the CHECK (total >= 0).
CREATE TABLE orders (
    id          SERIAL PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    total       numeric(10,2) NOT NULL,
    status      text NOT NULL DEFAULT 'pending',
    ordered_at  timestamptz DEFAULT now()
);
