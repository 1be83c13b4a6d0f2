-- Accepted: a hash index serves the equality lookup as well as a B-tree.
CREATE INDEX page_views_visitor_hash ON page_views USING hash (visitor_id);
