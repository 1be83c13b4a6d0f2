-- Near miss for full-join: LEFT JOIN from customers loses the subscribers who are not customers.
SELECT coalesce(c.email, s.email) AS email, c.name, s.subscribed_on
FROM customers AS c
LEFT JOIN newsletter_subscribers AS s ON s.email = c.email
ORDER BY email;
