SELECT name FROM people WHERE age >= 18 ORDER BY name;
