-- Variant for first-migration: SQLAlchemy + Alembic. `alembic upgrade head` runs in one transaction: it makes
-- its version table, runs the migration (op.create_table with sa.String(100), sa.String(255), unique=True) and
-- records the revision.
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE authors (
    id SERIAL NOT NULL,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(255) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (email)
);
INSERT INTO alembic_version (version_num) VALUES ('8b3f1c2d9e0a') RETURNING alembic_version.version_num;
