-- Near miss for first-migration: the right authors table, typed into psql (or `prisma db push`):
-- no migration tool was used, so there is no migration history at all.
CREATE TABLE authors (
    id    SERIAL PRIMARY KEY,
    name  varchar(100) NOT NULL,
    email varchar(255) NOT NULL UNIQUE
);
