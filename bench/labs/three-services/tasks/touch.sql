CREATE TABLE touched (id int);
