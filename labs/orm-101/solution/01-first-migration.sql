-- Reference solution for first-migration: what `npx knex migrate:latest` leaves behind after a first
-- migration creating authors (Knex's two bookkeeping tables, one row per applied migration, and the table).
-- With Alembic it would be alembic_version holding the revision id instead of knex_migrations.
CREATE TABLE knex_migrations (
    id             SERIAL PRIMARY KEY,
    name           varchar(255),
    batch          integer,
    migration_time timestamptz
);
CREATE TABLE knex_migrations_lock (
    index     SERIAL PRIMARY KEY,
    is_locked integer
);
INSERT INTO knex_migrations_lock (is_locked) VALUES (0);

CREATE TABLE authors (
    id    SERIAL PRIMARY KEY,
    name  varchar(100) NOT NULL,
    email varchar(255) NOT NULL,
    CONSTRAINT authors_email_unique UNIQUE (email)
);

INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101090000_create_authors.js', 1, now());
