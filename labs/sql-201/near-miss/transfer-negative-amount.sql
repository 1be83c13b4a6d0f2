-- Near miss for transfer: a negative amount is accepted, and quietly pulls money out of the target account.
CREATE OR REPLACE FUNCTION transfer(from_id integer, to_id integer, amount numeric)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    from_balance numeric;
BEGIN
    SELECT balance INTO from_balance FROM accounts WHERE id = from_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', from_id;
    END IF;
    IF from_balance < amount THEN
        RAISE EXCEPTION 'insufficient funds';
    END IF;
    UPDATE accounts SET balance = balance - amount WHERE id = from_id;
    UPDATE accounts SET balance = balance + amount WHERE id = to_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', to_id;
    END IF;
END;
$$;
