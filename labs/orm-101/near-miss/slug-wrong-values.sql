-- Near miss for data-migration: the backfill derived the slug from the whole name instead of using
-- the slugs the task gives.
ALTER TABLE authors ADD COLUMN slug varchar(100);
UPDATE authors SET slug = lower(replace(name, ' ', '-'));
ALTER TABLE authors ALTER COLUMN slug SET NOT NULL;
ALTER TABLE authors ADD CONSTRAINT authors_slug_unique UNIQUE (slug);
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101093000_add_slug_to_authors.js', 4, now());
