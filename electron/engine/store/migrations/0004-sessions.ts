/**
 * Console sessions apart from API tokens: the browser's cookie holds a random
 * session id (stored here hashed), never the token; a session expires, ends
 * at sign-out, and ends with its token or user. Tokens can expire too.
 */
export const name = '0004-sessions';

export const sql = `
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;

CREATE TABLE sessions (
  hash        TEXT PRIMARY KEY,
  token_id    TEXT NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_token ON sessions (token_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
`;
