-- The catalog's tables. A product version is a row of versions; its
-- contract is the JSON in doc, with the fields searched and filtered on
-- beside it. is_latest marks the highest version of each product, the one
-- search shows; status is derived from node_products and nodes.

CREATE TABLE versions (
  id           INTEGER PRIMARY KEY,
  domain       TEXT NOT NULL,
  name         TEXT NOT NULL,
  version      TEXT NOT NULL,
  major        INTEGER NOT NULL,
  title        TEXT NOT NULL DEFAULT '',
  description  TEXT NOT NULL DEFAULT '',
  owner_team   TEXT NOT NULL DEFAULT '',
  owner_email  TEXT NOT NULL DEFAULT '',
  tags         TEXT NOT NULL DEFAULT '[]',
  serving_mode TEXT NOT NULL DEFAULT '',
  doc          TEXT NOT NULL,
  descriptor   TEXT NOT NULL DEFAULT '',
  file         TEXT NOT NULL DEFAULT '',
  content_hash TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('publish', 'node')),
  partial      INTEGER NOT NULL DEFAULT 0,
  published_at INTEGER NOT NULL, -- unix microseconds
  is_latest    INTEGER NOT NULL DEFAULT 0,
  status       TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('available', 'unavailable', 'published')),
  UNIQUE (domain, name, version)
);
CREATE INDEX versions_latest ON versions (is_latest, domain, name);
-- Facet counts read this index alone.
CREATE INDEX versions_facets ON versions (is_latest, domain, owner_team, status);
-- Owner filters ignore case.
CREATE INDEX versions_owner_team ON versions (lower(owner_team));
CREATE INDEX versions_owner_email ON versions (lower(owner_email));

-- The tags of the latest version of each product, lowercased: tag filters
-- and the tag facet.
CREATE TABLE latest_tags (
  tag        TEXT NOT NULL,
  version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  PRIMARY KEY (tag, version_id)
) WITHOUT ROWID;
CREATE INDEX latest_tags_version ON latest_tags (version_id);

-- One row per input of a version: to another product (kind 'product',
-- to_domain, to_name, to_range) or from a source.
CREATE TABLE edges (
  version_id INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  input      TEXT NOT NULL,
  kind       TEXT NOT NULL,
  to_domain  TEXT NOT NULL DEFAULT '',
  to_name    TEXT NOT NULL DEFAULT '',
  to_range   TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (version_id, input)
) WITHOUT ROWID;
CREATE INDEX edges_to ON edges (to_domain, to_name);

CREATE TABLE nodes (
  name           TEXT PRIMARY KEY,
  url            TEXT NOT NULL,
  domains        TEXT NOT NULL DEFAULT '[]',
  registered_at  INTEGER NOT NULL,
  last_heartbeat INTEGER NOT NULL,
  available      INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE node_products (
  node       TEXT NOT NULL REFERENCES nodes (name) ON DELETE CASCADE,
  domain     TEXT NOT NULL,
  name       TEXT NOT NULL,
  version    TEXT NOT NULL,
  url        TEXT NOT NULL,
  links      TEXT NOT NULL DEFAULT '{}',
  status     TEXT NOT NULL DEFAULT 'null',
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (node, domain, name, version)
);
CREATE INDEX node_products_product ON node_products (domain, name, version);

-- Full-text index of the latest version of each product (rowid = versions.id).
CREATE VIRTUAL TABLE product_fts USING fts5(
  domain, name, title, description, tags, owner, columns,
  tokenize = 'unicode61'
);
