CREATE TABLE orders (
    id          SERIAL PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    total       numeric(10,2) NOT NULL CHECK (total > 0),
    status      text NOT NULL DEFAULT 'pending',
    ordered_at  timestamptz DEFAULT now()
);
