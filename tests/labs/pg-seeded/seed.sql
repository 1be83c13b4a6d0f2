CREATE TABLE marker (id int); INSERT INTO marker VALUES (1);
