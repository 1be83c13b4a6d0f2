-- Near miss for select-filter: LIMIT 2 but no WHERE, so Bruno (IT) comes in.
SELECT name, email
FROM customers
ORDER BY name
LIMIT 2;
