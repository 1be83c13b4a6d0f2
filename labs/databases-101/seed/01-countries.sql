-- Starting data for databases-101 (run once at first start, and again on reset).
-- A small reference table of country codes. The learner creates every other table.
CREATE TABLE countries (
    code char(2) PRIMARY KEY,
    name text NOT NULL UNIQUE
);

INSERT INTO countries (code, name) VALUES
    ('DE', 'Germany'),
    ('ES', 'Spain'),
    ('FR', 'France'),
    ('GB', 'United Kingdom'),
    ('IT', 'Italy'),
    ('US', 'United States');
