-- Task 2: the customer list and the newsletter list side by side, matched on email.
SELECT coalesce(c.email, s.email) AS email, c.name, s.subscribed_on
FROM customers AS c
FULL OUTER JOIN newsletter_subscribers AS s ON s.email = c.email
ORDER BY email;
