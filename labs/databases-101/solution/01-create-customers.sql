CREATE TABLE customers (
    id         SERIAL PRIMARY KEY,
    name       text NOT NULL,
    email      varchar(255) NOT NULL UNIQUE,
    country    char(2),
    created_at timestamptz DEFAULT now()
);
