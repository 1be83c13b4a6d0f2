-- Accepted: IDENTITY instead of SERIAL, text for email, the keys written as table constraints.
CREATE TABLE customers (
    id         integer GENERATED ALWAYS AS IDENTITY,
    name       text NOT NULL,
    email      text NOT NULL,
    country    varchar(2),
    created_at timestamp with time zone DEFAULT current_timestamp,
    CONSTRAINT customers_pk PRIMARY KEY (id),
    CONSTRAINT customers_email_unique UNIQUE (email)
);
