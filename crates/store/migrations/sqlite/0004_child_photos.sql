-- Photos of children for the Philomena profile (the protocols ask for a recent one). Kept in
-- the database so a backup carries them; each upload is a new row, the latest is shown.

CREATE TABLE child_photos (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children(id),
    content_type TEXT NOT NULL,    -- image/jpeg or image/png, checked by magic bytes
    bytes BLOB NOT NULL,
    taken_on TEXT NOT NULL,        -- YYYY-MM-DD
    uploaded_by INTEGER NOT NULL REFERENCES users(id),
    uploaded_at INTEGER NOT NULL
);
CREATE INDEX child_photos_child ON child_photos(child_id);
