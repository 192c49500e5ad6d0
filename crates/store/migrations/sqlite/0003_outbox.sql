-- Notifications (issue 5): when the scheduler next looks at each child, the outbox every message
-- leaves through, and the secret that signs acknowledgement links.

-- The next instant a child's obligations change without a new event (the engine's answer);
-- a recorded event sets it to the instant of recording so the scheduler looks at once.
CREATE TABLE child_schedule (
    child_id INTEGER PRIMARY KEY REFERENCES children(id),
    next_check INTEGER
);
CREATE INDEX child_schedule_next ON child_schedule(next_check);

-- One row per message per recipient. The idempotency key is derived from stable fields
-- (authority, child, episode, rule, due instant, kind, recipient), so writing the same message
-- twice (a replay after a crash) is a no-op.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,            -- shared by every message about one thing falling due
    authority_id INTEGER NOT NULL REFERENCES authorities(id),
    child_id INTEGER REFERENCES children(id),
    kind TEXT NOT NULL,             -- escalation, notification, overdue, reescalation, daily_list, dead_letter
    level INTEGER NOT NULL DEFAULT 0,
    owner_role TEXT NOT NULL,
    channel TEXT NOT NULL,          -- email or webhook
    recipient TEXT NOT NULL,
    context TEXT NOT NULL,          -- template context (JSON)
    due_at INTEGER NOT NULL,        -- the instant that caused the message
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    delivered_at INTEGER,
    last_error TEXT,
    reescalate_at INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER REFERENCES users(id)
);
CREATE INDEX outbox_pending ON outbox(status, next_attempt_at);
CREATE INDEX outbox_reescalate ON outbox(reescalate_at);
CREATE INDEX outbox_topic ON outbox(topic);
CREATE INDEX outbox_authority ON outbox(authority_id, id);

CREATE TABLE notification_secret (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    secret TEXT NOT NULL
);
