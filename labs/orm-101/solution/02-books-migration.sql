-- Reference solution for books-migration: a second Knex migration, applied in its own batch.
CREATE TABLE books (
    id        SERIAL PRIMARY KEY,
    title     varchar(200) NOT NULL,
    isbn      varchar(13) NOT NULL,
    price     numeric(8,2) NOT NULL,
    author_id integer NOT NULL,
    CONSTRAINT books_isbn_unique UNIQUE (isbn),
    CONSTRAINT books_author_id_foreign FOREIGN KEY (author_id) REFERENCES authors (id)
);
CREATE INDEX books_author_id_index ON books (author_id);

INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101091000_create_books.js', 2, now());
