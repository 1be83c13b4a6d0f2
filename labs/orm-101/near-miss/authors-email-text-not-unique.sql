-- Near miss for first-migration: applied through Alembic, but email is left as a plain text column
-- (Prisma's default String, or sa.Text) without UNIQUE.
CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE authors (
    id    SERIAL PRIMARY KEY,
    name  varchar(100) NOT NULL,
    email text NOT NULL
);
INSERT INTO alembic_version (version_num) VALUES ('1f2e3d4c5b6a');
