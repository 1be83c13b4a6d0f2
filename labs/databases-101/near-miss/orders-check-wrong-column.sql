CREATE TABLE orders (
    id          SERIAL PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id) CHECK (customer_id > 0),
    total       numeric(10,2) NOT NULL,
    status      text NOT NULL DEFAULT 'pending',
    ordered_at  timestamptz DEFAULT now()
);
