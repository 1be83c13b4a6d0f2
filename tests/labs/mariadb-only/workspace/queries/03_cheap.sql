# Task 3 (cheap-books)
-- Return 2 columns: the title of every book under 20 and its country's name, cheapest first.
/* Write ONE SELECT statement below these comments, save the file, then run: labctl check */
