-- Second migration: the data only (knex('authors').where({email}).update({slug})).
UPDATE authors SET slug = 'le-guin' WHERE email = 'ursula@example.com';
UPDATE authors SET slug = 'pratchett' WHERE email = 'terry@example.com';
UPDATE authors SET slug = 'butler' WHERE email = 'octavia@example.com';
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101093100_fill_authors_slug.js', 5, now());
