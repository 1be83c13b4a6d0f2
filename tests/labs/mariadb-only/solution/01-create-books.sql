-- Task 1: the books table.
CREATE TABLE books (
  id INT AUTO_INCREMENT PRIMARY KEY,
  title VARCHAR(200) NOT NULL,
  country CHAR(2),
  price DECIMAL(8, 2) NOT NULL,
  added_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (country) REFERENCES countries (code)
);
