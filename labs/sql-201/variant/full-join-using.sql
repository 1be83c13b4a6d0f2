-- Accepted: FULL JOIN ... USING (email) merges the two email columns by itself.
SELECT email, c.name, s.subscribed_on
FROM customers c
FULL JOIN newsletter_subscribers s USING (email)
ORDER BY 1;
