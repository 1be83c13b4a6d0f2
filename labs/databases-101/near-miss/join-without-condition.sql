-- Near miss for join: two tables in FROM with no join condition (every order paired with every customer).
SELECT c.name, o.total, o.status
FROM orders o, customers c
WHERE o.status = 'paid'
ORDER BY o.total DESC;
