-- Near miss for data-migration: the column is added, unique, but nullable and never filled
-- (the UPDATE step of the data migration is missing).
ALTER TABLE authors ADD COLUMN slug varchar(100) UNIQUE;
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101093000_add_slug_to_authors.js', 4, now());
