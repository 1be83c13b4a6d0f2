-- Near miss for index: a partial index for visitor 42 only: EXPLAIN for 42 uses it, any other visitor
-- still reads the whole table.
CREATE INDEX page_views_visitor_42_idx ON page_views (visitor_id) WHERE visitor_id = 42;
