-- Installation-wide values shared by every daemon on the database (e.g. the key that signs
-- one-click unsubscribe links, so links stay valid across restarts and nodes).
CREATE TABLE settings (
    key    TEXT NOT NULL PRIMARY KEY,
    value  TEXT NOT NULL
);
