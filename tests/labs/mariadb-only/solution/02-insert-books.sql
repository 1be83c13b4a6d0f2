-- Task 2: the four books. Neither their id order nor their countries' order is their price order,
-- so task 3's ORDER BY must matter whichever way MariaDB joins.
INSERT INTO books (title, country, price) VALUES
  ('Le Petit Prince', 'FR', 12.50),
  ('Il nome della rosa', 'IT', 24.00),
  ('Die Verwandlung', 'DE', 18.90),
  ('Les Misérables', 'FR', 9.99);
