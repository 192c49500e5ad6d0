-- Homeward case store, SQLite. Instants are INTEGER microseconds since the Unix epoch (UTC);
-- event instants also keep their original ISO-8601 text inside the event JSON.

CREATE TABLE authorities (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    protocol TEXT,                 -- HIPS, LANCS, NEWHAM, SY, MERTON, or NULL outside the partnership
    police_force TEXT NOT NULL,
    routing TEXT NOT NULL DEFAULT '{}'  -- notification routing (JSON), edited by an admin
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    authority_id INTEGER NOT NULL REFERENCES authorities(id),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    dob TEXT NOT NULL,
    facts TEXT NOT NULL,           -- flags and concerns of timeline v1 (JSON)
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE child_documents (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children(id),
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at INTEGER NOT NULL,
    UNIQUE (child_id, kind, version)
);

CREATE TABLE placements (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children(id),
    responsible_authority_id INTEGER NOT NULL REFERENCES authorities(id),
    host_authority_id INTEGER NOT NULL REFERENCES authorities(id),
    legal_status TEXT NOT NULL,
    placement_type TEXT NOT NULL,
    police_force TEXT NOT NULL,
    travel_minutes INTEGER NOT NULL DEFAULT 0,
    starts_on TEXT NOT NULL,
    ends_on TEXT
);
CREATE INDEX placements_child ON placements(child_id);
CREATE INDEX placements_responsible ON placements(responsible_authority_id);
CREATE INDEX placements_host ON placements(host_authority_id);

CREATE TABLE episodes (
    id INTEGER PRIMARY KEY,
    child_id INTEGER NOT NULL REFERENCES children(id),
    version INTEGER NOT NULL,
    responsible_authority_id INTEGER NOT NULL REFERENCES authorities(id),
    host_authority_id INTEGER NOT NULL REFERENCES authorities(id),
    finder_authority_id INTEGER REFERENCES authorities(id),
    opened_at INTEGER NOT NULL,
    closed_at INTEGER
);
CREATE INDEX episodes_child ON episodes(child_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    at INTEGER NOT NULL,
    body TEXT NOT NULL,            -- the event in timeline v1 shape (JSON)
    recorded_by INTEGER NOT NULL REFERENCES users(id),
    recorded_at INTEGER NOT NULL,
    corrects_event_id INTEGER REFERENCES events(id),
    correction_reason TEXT
);
CREATE INDEX events_episode ON events(episode_id);

CREATE TABLE obligations (
    id INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    child_id INTEGER NOT NULL REFERENCES children(id),
    authority_id INTEGER NOT NULL REFERENCES authorities(id),
    rule TEXT NOT NULL,
    share TEXT,
    owner_role TEXT NOT NULL,
    action TEXT NOT NULL,
    citation TEXT NOT NULL,
    activation INTEGER NOT NULL,
    due INTEGER,
    computed_at INTEGER NOT NULL
);
CREATE INDEX obligations_child ON obligations(child_id);
CREATE INDEX obligations_authority_due ON obligations(authority_id, due);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    child_id INTEGER,
    remote_addr TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TABLE audit_head (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    last_id INTEGER NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (only_row, last_id, last_hash) VALUES (1, 0, '');
