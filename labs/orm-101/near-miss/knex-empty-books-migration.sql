-- Part of a near miss for books-migration: `npx knex migrate:make create_books`, then `npx knex migrate:latest`
-- before writing the migration's body: Knex records the migration (batch 2), which created nothing.
INSERT INTO knex_migrations (name, batch, migration_time)
VALUES ('20250101091000_create_books.js', 2, now());
