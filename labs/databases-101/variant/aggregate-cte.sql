-- Accepted: the orders that count picked first in a CTE, the groups filtered in an outer query.
WITH kept AS (
    SELECT customer_id, total FROM orders WHERE status NOT IN ('cancelled')
), per_customer AS (
    SELECT customer_id, count(*) AS n, sum(total) AS spent FROM kept GROUP BY customer_id
)
SELECT c.name, p.n, p.spent
FROM per_customer p
JOIN customers c ON c.id = p.customer_id
WHERE p.n > 1
ORDER BY p.spent DESC;
