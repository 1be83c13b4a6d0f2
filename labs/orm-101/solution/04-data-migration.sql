-- Reference solution for data-migration: a fourth migration in three steps, in one transaction:
-- add the column as nullable, fill it for the existing rows, then make it NOT NULL and UNIQUE.
ALTER TABLE authors ADD COLUMN slug varchar(100);
UPDATE authors SET slug = 'le-guin' WHERE email = 'ursula@example.com';
UPDATE authors SET slug = 'pratchett' WHERE email = 'terry@example.com';
UPDATE authors SET slug = 'butler' WHERE email = 'octavia@example.com';
ALTER TABLE authors ALTER COLUMN slug SET NOT NULL;
ALTER TABLE authors ADD CONSTRAINT authors_slug_unique UNIQUE (slug);

INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101093000_add_slug_to_authors.js', 4, now());
