-- Accepted: the debit is one conditional UPDATE (it refuses an overdraft by matching no row), and the
-- errors say it in other words.
CREATE FUNCTION transfer(from_id integer, to_id integer, amount numeric) RETURNS void AS $$
BEGIN
    IF NOT (amount > 0) OR amount IS NULL THEN
        RAISE EXCEPTION 'amount must be greater than zero';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM accounts WHERE id = to_id) OR from_id = to_id THEN
        RAISE EXCEPTION 'no such target account';
    END IF;
    UPDATE accounts SET balance = balance - amount WHERE id = from_id AND balance >= amount;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown account or not enough money';
    END IF;
    UPDATE accounts SET balance = balance + amount WHERE id = to_id;
END;
$$ LANGUAGE plpgsql;
