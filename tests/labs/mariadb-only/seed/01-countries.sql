# The countries the books come from (a MySQL-style comment: the seed runs on MariaDB).
CREATE TABLE countries (
  code CHAR(2) PRIMARY KEY,
  name VARCHAR(60) NOT NULL
);
INSERT INTO countries (code, name) VALUES ('DE', 'Germany'), ('FR', 'France'), ('IT', 'Italy'), ('JP', 'Japan');
