-- Near miss for delete-and-index: the cancelled orders are deleted, but no index is created.
DELETE FROM orders WHERE status = 'cancelled';
