-- Part of a near miss for first-migration: `alembic stamp head` (or a first `alembic upgrade head` of a
-- migration whose upgrade() is empty): Alembic makes its version table and records a revision, and nothing else.
CREATE TABLE alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('3c1d2e4f5a6b');
