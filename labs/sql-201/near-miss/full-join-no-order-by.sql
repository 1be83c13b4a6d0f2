-- Near miss for full-join: no ORDER BY; today's rows happen to come out in the asked order.
SELECT coalesce(c.email, s.email) AS email, c.name, s.subscribed_on
FROM customers AS c
FULL OUTER JOIN newsletter_subscribers AS s ON s.email = c.email;
