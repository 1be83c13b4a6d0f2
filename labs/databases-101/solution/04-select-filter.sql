-- Task 4: names and emails of the customers from France, sorted by name, first 2 only.
SELECT name, email
FROM customers
WHERE country = 'FR'
ORDER BY name
LIMIT 2;
