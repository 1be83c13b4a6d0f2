-- Accepted: the standard FETCH FIRST instead of LIMIT, an explicit ASC.
SELECT customers.name, customers.email
FROM customers
WHERE customers.country = 'FR'
ORDER BY customers.name ASC
FETCH FIRST 2 ROWS ONLY;
