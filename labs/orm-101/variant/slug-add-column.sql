-- Variant for data-migration, first of three migrations each applied by its own `npx knex migrate:latest`:
-- the column, nullable.
ALTER TABLE authors ADD COLUMN slug varchar(100);
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101093000_add_slug_to_authors.js', 4, now());
