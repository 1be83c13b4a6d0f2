-- Near miss for select-filter: sorted by email, not by name; today's emails sort like the names.
SELECT name, email FROM customers WHERE country = 'FR' ORDER BY email LIMIT 2;
