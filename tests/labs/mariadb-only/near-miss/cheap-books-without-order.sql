-- Near miss for cheap-books: no ORDER BY.
SELECT books.title, countries.name
FROM books JOIN countries ON countries.code = books.country
WHERE books.price < 20;
