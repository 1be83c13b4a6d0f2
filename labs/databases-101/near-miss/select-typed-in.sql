-- Near miss for select-filter: the answer typed in; it reads no table.
SELECT 'Alice Martin' AS name, 'alice@example.com' AS email
UNION ALL
SELECT 'Claire Dubois', 'claire@example.com';
