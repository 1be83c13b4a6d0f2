-- Near miss for select-filter: right filter and order, but no LIMIT (3 rows instead of 2).
SELECT name, email
FROM customers
WHERE country = 'FR'
ORDER BY name;
