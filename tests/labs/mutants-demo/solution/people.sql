CREATE TABLE people (name text NOT NULL, age int NOT NULL);
INSERT INTO people VALUES ('ada', 36), ('bob', 17), ('cy', 52);
