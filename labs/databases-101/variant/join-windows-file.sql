-- Saved by Notepad on Windows: a byte order mark and CRLF line ends.
SELECT c.name, o.total, o.status
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.status = 'paid'
ORDER BY o.total DESC;
