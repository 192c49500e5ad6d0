-- Meetings (with attendees and action items) and return home interviews. Each is recorded with
-- the timeline event the engine reads (meeting_held, rhi_offered / rhi_completed / rhi_declined).

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    event_id INTEGER NOT NULL REFERENCES events(id),
    meeting_type TEXT NOT NULL,
    held_at INTEGER NOT NULL,
    chair TEXT NOT NULL,
    attendees TEXT NOT NULL,       -- JSON list of {name, role, agency}
    decisions TEXT NOT NULL
);
CREATE INDEX meetings_episode ON meetings(episode_id);

CREATE TABLE meeting_actions (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    description TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_at INTEGER,
    done_at INTEGER
);
CREATE INDEX meeting_actions_meeting ON meeting_actions(meeting_id);

CREATE TABLE interviews (
    id INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    event_id INTEGER NOT NULL REFERENCES events(id),
    version INTEGER NOT NULL,
    outcome TEXT NOT NULL,         -- offered, completed, declined, no_engagement
    at INTEGER NOT NULL,
    interviewer TEXT NOT NULL,
    mode TEXT,
    push_factors TEXT NOT NULL,
    pull_factors TEXT NOT NULL,
    disclosures TEXT NOT NULL,     -- sensitive: shown only to roles that need it
    signed_off_by INTEGER REFERENCES users(id),
    signed_off_at INTEGER
);
CREATE INDEX interviews_episode ON interviews(episode_id);
