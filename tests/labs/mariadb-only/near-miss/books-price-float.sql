-- Near miss for create-books: price is a FLOAT, not DECIMAL(8,2).
CREATE TABLE books (
  id INT AUTO_INCREMENT PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  country CHAR(2),
  price FLOAT NOT NULL,
  added_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
