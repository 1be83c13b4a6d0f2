-- Near miss for books-migration: price as a floating-point number (Prisma Float, sa.Float, table.float)
-- instead of numeric(8,2): money then gets rounding errors.
CREATE TABLE books (
    id        SERIAL PRIMARY KEY,
    title     varchar(200) NOT NULL,
    isbn      varchar(13) NOT NULL UNIQUE,
    price     double precision NOT NULL,
    author_id integer NOT NULL REFERENCES authors (id)
);
CREATE INDEX books_author_id_index ON books (author_id);
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101091000_create_books.js', 2, now());
