-- Near miss for create-books: no price column.
CREATE TABLE books (
  id INT AUTO_INCREMENT PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  country CHAR(2),
  added_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
