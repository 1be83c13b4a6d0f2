-- Near miss for update: the classic UPDATE without WHERE, every order becomes shipped.
UPDATE orders SET status = 'shipped';
