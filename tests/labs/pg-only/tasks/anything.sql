CREATE TABLE anything (id int);
