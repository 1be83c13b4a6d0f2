-- Starting data for sql-201 (run once at first start, and again on reset).
-- A small shop: customers, products, orders and their lines, a newsletter list, bank-like accounts,
-- and a big page_views table (60,000 rows) for the index task.

CREATE TABLE customers (
    id        integer PRIMARY KEY,
    name      text NOT NULL,
    email     text NOT NULL UNIQUE,
    city      text NOT NULL,
    joined_on date NOT NULL
);

INSERT INTO customers (id, name, email, city, joined_on) VALUES
    (1,  'Alice Martin',  'alice@example.com',  'Paris',     '2023-01-12'),
    (2,  'Bruno Rossi',   'bruno@example.com',  'Milan',     '2023-02-03'),
    (3,  'Claire Dubois', 'claire@example.com', 'Lyon',      '2023-03-21'),
    (4,  'Daniel Weber',  'daniel@example.com', 'Berlin',    '2023-04-09'),
    (5,  'Emma Schmidt',  'emma@example.com',   'Munich',    '2023-05-30'),
    (6,  'Farid Haddad',  'farid@example.com',  'Marseille', '2023-07-14'),
    (7,  'Grace Kim',     'grace@example.com',  'London',    '2023-09-01'),
    (8,  'Hugo Laurent',  'hugo@example.com',   'Paris',     '2023-10-18'),
    (9,  'Ines Silva',    'ines@example.com',   'Lisbon',    '2024-01-05'),
    (10, 'Jonas Berg',    'jonas@example.com',  'Oslo',      '2024-02-20');

CREATE TABLE products (
    id       integer PRIMARY KEY,
    name     text NOT NULL UNIQUE,
    category text NOT NULL,
    price    numeric(10,2) NOT NULL CHECK (price >= 0)   -- today's price
);

INSERT INTO products (id, name, category, price) VALUES
    (1,  'Espresso Machine',   'kitchen', 249.00),
    (2,  'Coffee Grinder',     'kitchen',  89.90),
    (3,  'French Press',       'kitchen',  29.90),
    (4,  'Chef Knife',         'kitchen',  59.00),
    (5,  'Desk Lamp',          'office',   39.90),
    (6,  'Ergonomic Chair',    'office',  349.00),
    (7,  'Notebook Pack',      'office',   12.50),
    (8,  'Standing Desk',      'office',  499.00),
    (9,  'Yoga Mat',           'sport',    25.00),
    (10, 'Running Shoes',      'sport',   119.00),
    (11, 'Water Bottle',       'sport',    15.00),
    (12, 'Tennis Racket',      'sport',    89.00),
    (13, 'Board Game',         'toys',     34.90),
    (14, 'Puzzle 1000 pieces', 'toys',     19.90);

CREATE TABLE orders (
    id          integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers (id),
    ordered_on  date NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled'))
);

INSERT INTO orders (id, customer_id, ordered_on, status) VALUES
    (1,  1, '2024-03-01', 'shipped'),
    (2,  2, '2024-03-01', 'shipped'),
    (3,  3, '2024-03-02', 'shipped'),
    (4,  1, '2024-03-03', 'paid'),
    (5,  4, '2024-03-03', 'cancelled'),
    (6,  5, '2024-03-04', 'paid'),
    (7,  6, '2024-03-05', 'shipped'),
    (8,  2, '2024-03-05', 'paid'),
    (9,  7, '2024-03-06', 'cancelled'),
    (10, 8, '2024-03-06', 'paid'),
    (11, 3, '2024-03-07', 'pending'),
    (12, 4, '2024-03-08', 'paid'),
    (13, 1, '2024-03-08', 'shipped'),
    (14, 5, '2024-03-09', 'paid');

-- unit_price is the price the customer paid (prices change: the chair cost 329.00 in March).
-- product_id is NULL when the product was removed from the catalogue after the sale.
CREATE TABLE order_items (
    order_id   integer NOT NULL REFERENCES orders (id),
    line_no    integer NOT NULL,
    product_id integer REFERENCES products (id) ON DELETE SET NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price) VALUES
    (1,  1, 1,    1, 249.00),
    (1,  2, 3,    2,  29.90),
    (2,  1, 10,   1, 119.00),
    (2,  2, 11,   2,  15.00),
    (3,  1, 6,    1, 329.00),
    (4,  1, 2,    1,  89.90),
    (5,  1, 5,    2,  39.90),
    (6,  1, 9,    2,  25.00),
    (6,  2, 11,   1,  15.00),
    (7,  1, 7,    4,  12.50),
    (7,  2, 5,    1,  39.90),
    (8,  1, 4,    1,  59.00),
    (9,  1, 10,   1, 119.00),
    (10, 1, 13,   2,  34.90),
    (10, 2, NULL, 1,  45.00),
    (11, 1, 9,    1,  25.00),
    (12, 1, 1,    1, 249.00),
    (13, 1, 11,   3,  15.00),
    (14, 1, 10,   1, 119.00);

CREATE TABLE newsletter_subscribers (
    email         text PRIMARY KEY,
    subscribed_on date NOT NULL
);

INSERT INTO newsletter_subscribers (email, subscribed_on) VALUES
    ('alice@example.com',  '2023-01-12'),
    ('claire@example.com', '2023-06-02'),
    ('emma@example.com',   '2023-05-30'),
    ('hugo@example.com',   '2024-01-15'),
    ('lea@example.com',    '2023-11-08'),
    ('marc@example.com',   '2024-02-01'),
    ('nora@example.com',   '2024-02-27');

-- Customer wallets. No CHECK on balance: refusing an overdraft is the job of transfer() (task 7).
CREATE TABLE accounts (
    id      integer PRIMARY KEY,
    owner   text NOT NULL,
    balance numeric(12,2) NOT NULL
);

INSERT INTO accounts (id, owner, balance) VALUES
    (1, 'Alice Martin',  500.00),
    (2, 'Bruno Rossi',   120.00),
    (3, 'Claire Dubois',  40.00),
    (4, 'Shop',         1000.00);

-- 60,000 page views, generated: 2,000 visitors, 14 products, about 4 months of timestamps.
CREATE TABLE page_views (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    visitor_id integer NOT NULL,
    product_id integer NOT NULL,
    viewed_at  timestamptz NOT NULL
);

INSERT INTO page_views (visitor_id, product_id, viewed_at)
SELECT (g * 7919) % 2000 + 1,
       (g * 31) % 14 + 1,
       timestamptz '2024-01-01 00:00:00+00' + (g * 173 % 10000000) * interval '1 second'
FROM generate_series(1, 60000) AS g;

ANALYZE;

-- Helpers used by `labctl check`. They live in their own schema: you can ignore them.
CREATE SCHEMA lab_support;

COMMENT ON SCHEMA lab_support IS 'helpers for labctl checks; not part of the exercise';

-- Runs transfer(from_id, to_id, amount) and reports what happened, as jsonb:
-- raised (did it raise an error), error, from_delta / to_delta (how each balance changed),
-- total_delta (how the sum of all balances changed). NULL when there is no transfer function.
-- The caller runs inside a rolled-back transaction, so nothing it does is kept.
CREATE FUNCTION lab_support.try_transfer(from_id integer, to_id integer, amount numeric)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    from_before numeric; to_before numeric; total_before numeric;
    from_after numeric; to_after numeric; total_after numeric;
    did_raise boolean := false;
    err text;
BEGIN
    IF to_regprocedure('public.transfer(integer,integer,numeric)') IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT balance INTO from_before FROM public.accounts WHERE id = from_id;
    SELECT balance INTO to_before FROM public.accounts WHERE id = to_id;
    SELECT sum(balance) INTO total_before FROM public.accounts;
    BEGIN
        EXECUTE 'SELECT public.transfer($1, $2, $3)' USING from_id, to_id, amount;
    EXCEPTION WHEN OTHERS THEN
        did_raise := true;
        err := SQLERRM;
    END;
    SELECT balance INTO from_after FROM public.accounts WHERE id = from_id;
    SELECT balance INTO to_after FROM public.accounts WHERE id = to_id;
    SELECT sum(balance) INTO total_after FROM public.accounts;
    RETURN jsonb_build_object(
        'raised', did_raise,
        'error', err,
        'from_delta', coalesce(from_after, 0) - coalesce(from_before, 0),
        'to_delta', coalesce(to_after, 0) - coalesce(to_before, 0),
        'total_delta', coalesce(total_after, 0) - coalesce(total_before, 0)
    );
END;
$$;

-- True when the plan of `query` reads `table_name` through an index
-- (Index Scan, Index Only Scan, or Bitmap Index Scan + Bitmap Heap Scan). EXPLAIN never runs the query.
CREATE FUNCTION lab_support.plan_uses_index(query text, table_name text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN jsonb_path_exists(
        plan,
        '$.** ? ((@."Node Type" == "Index Scan" || @."Node Type" == "Index Only Scan" || @."Node Type" == "Bitmap Heap Scan") && @."Relation Name" == $t)',
        jsonb_build_object('t', table_name));
END;
$$;
