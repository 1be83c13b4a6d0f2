-- Near miss for create-books: AUTO_INCREMENT needs a key, and a UNIQUE one is not the primary key.
CREATE TABLE books (
  id INT NOT NULL AUTO_INCREMENT UNIQUE,
  title VARCHAR(200) NOT NULL,
  country CHAR(2),
  price DECIMAL(8, 2) NOT NULL,
  added_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
