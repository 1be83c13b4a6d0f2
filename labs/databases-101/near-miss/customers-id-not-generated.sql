-- Near miss for create-customers: id is a primary key, but nothing generates its values.
CREATE TABLE customers (
    id         integer PRIMARY KEY,
    name       text NOT NULL,
    email      varchar(255) NOT NULL UNIQUE,
    country    char(2),
    created_at timestamptz DEFAULT now()
);
