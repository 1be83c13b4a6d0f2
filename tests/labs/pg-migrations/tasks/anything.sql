-- An Alembic-style migration: the table and the tool's history, in one transaction.
CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY);
CREATE TABLE anything (id int);
INSERT INTO alembic_version VALUES ('a1');
