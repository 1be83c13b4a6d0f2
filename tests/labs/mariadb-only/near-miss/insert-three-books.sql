-- Near miss for insert-books: Les Misérables is left out.
INSERT INTO books (title, country, price) VALUES
  ('Le Petit Prince', 'FR', 12.50),
  ('Il nome della rosa', 'IT', 24.00),
  ('Die Verwandlung', 'DE', 18.90);
