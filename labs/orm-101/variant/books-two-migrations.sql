-- Variant for books-migration: two Knex migrations, applied together by one `npx knex migrate:latest` (one
-- batch, one transaction): the table first, then its index in a migration of its own.
CREATE TABLE books (
    id        SERIAL PRIMARY KEY,
    title     varchar(200) NOT NULL,
    isbn      varchar(13) NOT NULL,
    price     numeric(8,2) NOT NULL,
    author_id integer NOT NULL,
    CONSTRAINT books_isbn_unique UNIQUE (isbn),
    CONSTRAINT books_author_id_foreign FOREIGN KEY (author_id) REFERENCES authors (id)
);
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101091000_create_books.js', 2, now());

CREATE INDEX books_author_id_index ON books (author_id);
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101091500_index_books_author_id.js', 2, now());
