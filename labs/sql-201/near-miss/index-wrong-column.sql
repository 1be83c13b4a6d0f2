-- Near miss for index: an index on product_id does not help a lookup by visitor_id.
CREATE INDEX page_views_product_id_idx ON page_views (product_id);
