/** Nodes' certificate fingerprints (see the SQLite store's migration 0009-node-certificates). Released migrations are never edited. */
export const name = '0003-node-certificates';

export const sql = `
ALTER TABLE nodes ADD COLUMN cert_sha256 TEXT;
ALTER TABLE nodes ADD COLUMN data_dir TEXT;
`;
