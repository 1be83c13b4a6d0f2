-- Near miss for create-customers: email is NOT NULL but not UNIQUE, so two customers could share it.
CREATE TABLE customers (
    id         SERIAL PRIMARY KEY,
    name       text NOT NULL,
    email      varchar(255) NOT NULL,
    country    char(2),
    created_at timestamptz DEFAULT now()
);
