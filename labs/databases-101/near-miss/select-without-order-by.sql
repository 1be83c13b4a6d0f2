-- Near miss for select-filter: no ORDER BY; today's rows happen to be stored in name order.
SELECT name, email FROM customers WHERE country = 'FR' LIMIT 2;
