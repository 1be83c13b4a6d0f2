-- Near miss for full-join: c.email is NULL on the rows that only exist in the newsletter list.
SELECT c.email, c.name, s.subscribed_on
FROM customers AS c
FULL OUTER JOIN newsletter_subscribers AS s ON s.email = c.email
ORDER BY c.email;
