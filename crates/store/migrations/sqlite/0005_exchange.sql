-- Returns and exports read the episodes opened in a reporting window.
CREATE INDEX episodes_opened ON episodes(opened_at);
