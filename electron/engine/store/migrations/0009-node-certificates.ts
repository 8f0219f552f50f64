/**
 * A node serving HTTPS records its certificate's SHA-256 fingerprint, so the
 * other nodes of a shared database can fetch its result files knowing they
 * talk to that node (they pin the fingerprint; nodes' certificates are often
 * self-signed). It records its data folder too: a node that restarts on
 * the same folder (a new node) serves the files its earlier runs left there.
 */
export const name = '0009-node-certificates';

export const sql = `
ALTER TABLE nodes ADD COLUMN cert_sha256 TEXT;
ALTER TABLE nodes ADD COLUMN data_dir TEXT;
`;
