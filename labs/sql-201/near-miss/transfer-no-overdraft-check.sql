-- Near miss for transfer: moves the money without looking at the balance (accounts can go negative).
CREATE OR REPLACE FUNCTION transfer(from_id integer, to_id integer, amount numeric)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF amount <= 0 THEN
        RAISE EXCEPTION 'transfer amount must be positive';
    END IF;
    UPDATE accounts SET balance = balance - amount WHERE id = from_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', from_id;
    END IF;
    UPDATE accounts SET balance = balance + amount WHERE id = to_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', to_id;
    END IF;
END;
$$;
