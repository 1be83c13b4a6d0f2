-- Near miss for create-books: id is the primary key but nothing generates it.
CREATE TABLE books (
  id INT PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  country CHAR(2),
  price DECIMAL(8, 2) NOT NULL,
  added_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
