-- Third migration: NOT NULL and UNIQUE, once every row has its slug.
ALTER TABLE authors ALTER COLUMN slug SET NOT NULL;
ALTER TABLE authors ADD CONSTRAINT authors_slug_unique UNIQUE (slug);
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101093200_require_authors_slug.js', 6, now());
