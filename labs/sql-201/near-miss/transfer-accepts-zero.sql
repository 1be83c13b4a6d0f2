-- Task 7: move money between two accounts, all or nothing.
CREATE OR REPLACE FUNCTION transfer(from_id integer, to_id integer, amount numeric)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    from_balance numeric;
BEGIN
    IF amount IS NULL OR amount < 0 THEN
        RAISE EXCEPTION 'transfer amount must be positive, got %', amount;
    END IF;
    IF from_id = to_id THEN
        RAISE EXCEPTION 'cannot transfer from account % to itself', from_id;
    END IF;

    -- Lock the source row, so two transfers cannot spend the same money at the same time.
    SELECT balance INTO from_balance FROM accounts WHERE id = from_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account % does not exist', from_id;
    END IF;
    IF from_balance < amount THEN
        RAISE EXCEPTION 'insufficient funds on account %: balance %, asked %', from_id, from_balance, amount;
    END IF;

    UPDATE accounts SET balance = balance - amount WHERE id = from_id;
    UPDATE accounts SET balance = balance + amount WHERE id = to_id;
    IF NOT FOUND THEN
        -- Raising undoes the debit above too: the whole call is one transaction.
        RAISE EXCEPTION 'account % does not exist', to_id;
    END IF;
END;
$$;
