# Task 3: the books under 20 with their country, cheapest first.
SELECT `books`.title, countries.name
FROM books
JOIN countries ON countries.code = books.country
WHERE books.price < 20
ORDER BY books.price;
