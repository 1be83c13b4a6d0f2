-- Near miss for books-migration: author_id is a plain integer; the migration forgot the foreign key
-- (e.g. sa.Column('author_id', sa.Integer) without sa.ForeignKey, or table.integer('author_id') without .references()).
CREATE TABLE books (
    id        SERIAL PRIMARY KEY,
    title     varchar(200) NOT NULL,
    isbn      varchar(13) NOT NULL UNIQUE,
    price     numeric(8,2) NOT NULL,
    author_id integer NOT NULL
);
CREATE INDEX books_author_id_index ON books (author_id);
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101091000_create_books.js', 2, now());
