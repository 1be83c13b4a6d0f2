-- Task 8: an index so that looking up one visitor's page views no longer reads the whole table.
CREATE INDEX page_views_visitor_id_idx ON page_views (visitor_id);
