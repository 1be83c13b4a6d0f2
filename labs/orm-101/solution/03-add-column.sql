-- Reference solution for add-column: first the rows the task gives (pasted in psql), then a third
-- migration that adds books.stock with a database default, so the existing rows get 0.
INSERT INTO authors (name, email) VALUES
    ('Ursula K. Le Guin', 'ursula@example.com'),
    ('Terry Pratchett', 'terry@example.com'),
    ('Octavia E. Butler', 'octavia@example.com');

INSERT INTO books (title, isbn, price, author_id) VALUES
    ('A Wizard of Earthsea', '9780553383041', 9.99, (SELECT id FROM authors WHERE email = 'ursula@example.com')),
    ('The Left Hand of Darkness', '9780441478125', 12.50, (SELECT id FROM authors WHERE email = 'ursula@example.com')),
    ('Guards! Guards!', '9780062225757', 8.99, (SELECT id FROM authors WHERE email = 'terry@example.com')),
    ('Kindred', '9780807083697', 15.00, (SELECT id FROM authors WHERE email = 'octavia@example.com'));

-- The migration (Knex: table.integer('stock').notNullable().defaultTo(0)).
ALTER TABLE books ADD COLUMN stock integer NOT NULL DEFAULT 0;

INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101092000_add_stock_to_books.js', 3, now());
