-- Issue 12: obligations keep their identity, the lists read tables kept current by every change,
-- and the audit of a list names every child it showed.

-- An obligation is written once and then updated in place while the engine gives it: met (with
-- the instant of the event that discharged it) or no longer given, it stays, with why it ended.
ALTER TABLE obligations ADD COLUMN met_at INTEGER;
ALTER TABLE obligations ADD COLUMN ended TEXT CHECK (ended IN ('discharged', 'no_longer_applies'));
ALTER TABLE obligations ADD COLUMN ended_at INTEGER;
DROP INDEX obligations_authority_due;
-- My work: an authority's open obligations of one owner role, by due (then ID, so that a page
-- of any section is read in index order, never sorted).
CREATE INDEX obligations_queue ON obligations(authority_id, owner_role, due, id) WHERE ended IS NULL;
-- An episode's obligations (the episode page).
CREATE INDEX obligations_episode ON obligations(episode_id);
-- Charts: an authority's obligations of a rule, by due.
CREATE INDEX obligations_rule_due ON obligations(authority_id, rule, due);

-- Who may see each child: the access rule's answer, written with every change to the child.
-- `name_key` is the child's name in lower case (Unicode, as the casework layer folds it): what
-- the children list sorts by and a name search matches.
CREATE TABLE child_visibility (
    authority_id INTEGER NOT NULL REFERENCES authorities(id),
    child_id INTEGER NOT NULL REFERENCES children(id),
    name_key TEXT NOT NULL,
    PRIMARY KEY (authority_id, child_id)
);
CREATE INDEX child_visibility_name ON child_visibility(authority_id, name_key, child_id);
CREATE INDEX child_visibility_child ON child_visibility(child_id);
-- Until the casework layer rewrites them (the server and worker replan, at start, every child
-- whose lists were never written), the same rule as before: current responsible and host
-- authorities, and the responsible, host and finder authorities of every episode.
INSERT INTO child_visibility (authority_id, child_id, name_key)
SELECT DISTINCT a.authority_id, a.child_id, LOWER(c.name) FROM (
    SELECT responsible_authority_id AS authority_id, child_id FROM placements WHERE ends_on IS NULL
    UNION SELECT host_authority_id, child_id FROM placements WHERE ends_on IS NULL
    UNION SELECT responsible_authority_id, child_id FROM episodes
    UNION SELECT host_authority_id, child_id FROM episodes
    UNION SELECT finder_authority_id, child_id FROM episodes WHERE finder_authority_id IS NOT NULL
) a JOIN children c ON c.id = a.child_id;

-- What the lists show of each episode, as the engine reads its events.
CREATE TABLE episode_status (
    episode_id INTEGER PRIMARY KEY REFERENCES episodes(id),
    child_id INTEGER NOT NULL REFERENCES children(id),
    missing INTEGER NOT NULL,
    since INTEGER NOT NULL,
    found_at INTEGER,
    risk TEXT,
    risk_rank INTEGER NOT NULL,      -- high 0, medium 1, low 2, no apparent risk 3, none 4
    rhi_at INTEGER,
    next_due INTEGER,
    next_rule TEXT
);
CREATE INDEX episode_status_child ON episode_status(child_id);
CREATE INDEX episode_status_found ON episode_status(found_at);

-- Missing now, for each authority that may see the child: one row per authority and episode in
-- which the child is missing, in the board's order (highest risk, then longest missing), so an
-- authority's page is one range of its own rows however many children the partnership has.
CREATE TABLE missing_board (
    authority_id INTEGER NOT NULL REFERENCES authorities(id),
    risk_rank INTEGER NOT NULL,
    since INTEGER NOT NULL,
    episode_id INTEGER NOT NULL REFERENCES episodes(id),
    child_id INTEGER NOT NULL REFERENCES children(id),
    PRIMARY KEY (authority_id, risk_rank, since, episode_id)
) WITHOUT ROWID;
CREATE INDEX missing_board_child ON missing_board(child_id);

-- Per child: episodes and whether missing now, for the children list.
CREATE TABLE child_status (
    child_id INTEGER PRIMARY KEY REFERENCES children(id),
    episodes INTEGER NOT NULL,
    missing INTEGER NOT NULL
);

-- The engine's next change for each child, for countdowns (next_check is the scheduler's).
ALTER TABLE child_schedule ADD COLUMN next_change INTEGER;

-- A list view is audited as one row naming every child it showed (comma-separated IDs).
ALTER TABLE audit_log ADD COLUMN children TEXT NOT NULL DEFAULT '';

-- Lists that read obligations of any owner role, meeting actions still to do, and episodes
-- opened in a window (charts).
CREATE INDEX obligations_open_due ON obligations(authority_id, due, id) WHERE ended IS NULL;
CREATE INDEX meeting_actions_open ON meeting_actions(meeting_id) WHERE done_at IS NULL;
CREATE INDEX episodes_opened ON episodes(opened_at);
