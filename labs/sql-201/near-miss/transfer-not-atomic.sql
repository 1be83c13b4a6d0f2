-- Near miss for transfer: debits first, and never notices that the credit updated no row,
-- so money sent to an unknown account disappears instead of the whole transfer being refused.
CREATE OR REPLACE FUNCTION transfer(from_id integer, to_id integer, amount numeric)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    from_balance numeric;
BEGIN
    IF amount <= 0 THEN
        RAISE EXCEPTION 'transfer amount must be positive';
    END IF;
    SELECT balance INTO from_balance FROM accounts WHERE id = from_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', from_id;
    END IF;
    IF from_balance < amount THEN
        RAISE EXCEPTION 'insufficient funds';
    END IF;
    UPDATE accounts SET balance = balance - amount WHERE id = from_id;
    UPDATE accounts SET balance = balance + amount WHERE id = to_id;
END;
$$;
