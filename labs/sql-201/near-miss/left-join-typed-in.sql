-- Near miss for left-join: the answer typed in as VALUES; it reads no table.
VALUES ('Alice Martin', 3), ('Bruno Rossi', 2), ('Claire Dubois', 2), ('Daniel Weber', 2), ('Emma Schmidt', 2),
       ('Farid Haddad', 1), ('Grace Kim', 1), ('Hugo Laurent', 1), ('Ines Silva', 0), ('Jonas Berg', 0);
