-- Near miss for cheap-books: <= 24 lets Il nome della rosa (24.00) in.
SELECT books.title, countries.name
FROM books JOIN countries ON countries.code = books.country
WHERE books.price <= 24
ORDER BY books.price;
