-- Near miss for add-column: the rows were inserted, then the migration dropped and re-created books
-- to add the NOT NULL column (what a "reset" does): the column is right, the books are gone.
INSERT INTO authors (name, email) VALUES
    ('Ursula K. Le Guin', 'ursula@example.com'),
    ('Terry Pratchett', 'terry@example.com'),
    ('Octavia E. Butler', 'octavia@example.com');

INSERT INTO books (title, isbn, price, author_id) VALUES
    ('A Wizard of Earthsea', '9780553383041', 9.99, (SELECT id FROM authors WHERE email = 'ursula@example.com')),
    ('The Left Hand of Darkness', '9780441478125', 12.50, (SELECT id FROM authors WHERE email = 'ursula@example.com')),
    ('Guards! Guards!', '9780062225757', 8.99, (SELECT id FROM authors WHERE email = 'terry@example.com')),
    ('Kindred', '9780807083697', 15.00, (SELECT id FROM authors WHERE email = 'octavia@example.com'));

DROP TABLE books;
CREATE TABLE books (
    id        SERIAL PRIMARY KEY,
    title     varchar(200) NOT NULL,
    isbn      varchar(13) NOT NULL UNIQUE,
    price     numeric(8,2) NOT NULL,
    author_id integer NOT NULL REFERENCES authors (id),
    stock     integer NOT NULL DEFAULT 0
);
CREATE INDEX books_author_id_index ON books (author_id);

INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101092000_add_stock_to_books.js', 3, now());
