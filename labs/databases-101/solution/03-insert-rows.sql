INSERT INTO customers (name, email, country) VALUES
    ('Alice Martin',  'alice@example.com',  'FR'),
    ('Bruno Rossi',   'bruno@example.com',  'IT'),
    ('Claire Dubois', 'claire@example.com', 'FR'),
    ('Daniel Weber',  'daniel@example.com', 'DE'),
    ('Hugo Laurent',  'hugo@example.com',   'FR');

INSERT INTO orders (customer_id, total, status) VALUES
    ((SELECT id FROM customers WHERE email = 'alice@example.com'),  120.00, 'paid'),
    ((SELECT id FROM customers WHERE email = 'alice@example.com'),   35.50, 'pending'),
    ((SELECT id FROM customers WHERE email = 'bruno@example.com'),   89.90, 'paid'),
    ((SELECT id FROM customers WHERE email = 'bruno@example.com'),   12.00, 'pending'),
    ((SELECT id FROM customers WHERE email = 'claire@example.com'), 250.00, 'paid'),
    ((SELECT id FROM customers WHERE email = 'daniel@example.com'),  15.00, 'cancelled'),
    ((SELECT id FROM customers WHERE email = 'daniel@example.com'),  42.00, 'paid'),
    ((SELECT id FROM customers WHERE email = 'hugo@example.com'),    60.00, 'cancelled');
