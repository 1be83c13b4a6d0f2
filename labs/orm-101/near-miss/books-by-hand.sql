-- Near miss for books-migration: the right books table, but created in psql: the history still
-- records only the first migration.
CREATE TABLE books (
    id        SERIAL PRIMARY KEY,
    title     varchar(200) NOT NULL,
    isbn      varchar(13) NOT NULL UNIQUE,
    price     numeric(8,2) NOT NULL,
    author_id integer NOT NULL REFERENCES authors (id)
);
CREATE INDEX books_author_id_index ON books (author_id);
