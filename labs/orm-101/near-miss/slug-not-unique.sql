-- Near miss for data-migration: filled and NOT NULL, but the UNIQUE step was forgotten.
ALTER TABLE authors ADD COLUMN slug varchar(100);
UPDATE authors SET slug = 'le-guin' WHERE email = 'ursula@example.com';
UPDATE authors SET slug = 'pratchett' WHERE email = 'terry@example.com';
UPDATE authors SET slug = 'butler' WHERE email = 'octavia@example.com';
ALTER TABLE authors ALTER COLUMN slug SET NOT NULL;
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101093000_add_slug_to_authors.js', 4, now());
