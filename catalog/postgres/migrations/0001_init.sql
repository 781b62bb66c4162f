-- The catalog's tables (see catalog/sqlite/migrations for the same model in
-- SQLite). search holds the full-text vector of the latest version of each
-- product, empty for the others.

CREATE TABLE versions (
  id           BIGSERIAL PRIMARY KEY,
  domain       TEXT NOT NULL,
  name         TEXT NOT NULL,
  version      TEXT NOT NULL,
  major        INTEGER NOT NULL,
  title        TEXT NOT NULL DEFAULT '',
  description  TEXT NOT NULL DEFAULT '',
  owner_team   TEXT NOT NULL DEFAULT '',
  owner_email  TEXT NOT NULL DEFAULT '',
  tags         JSONB NOT NULL DEFAULT '[]',
  serving_mode TEXT NOT NULL DEFAULT '',
  doc          JSONB NOT NULL,
  descriptor   TEXT NOT NULL DEFAULT '',
  file         TEXT NOT NULL DEFAULT '',
  content_hash TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('publish', 'node')),
  partial      BOOLEAN NOT NULL DEFAULT false,
  published_at TIMESTAMPTZ NOT NULL,
  is_latest    BOOLEAN NOT NULL DEFAULT false,
  status       TEXT NOT NULL DEFAULT 'published' CHECK (status IN ('available', 'unavailable', 'published')),
  search       TSVECTOR NOT NULL DEFAULT ''::tsvector,
  UNIQUE (domain, name, version)
);
CREATE INDEX versions_latest ON versions (is_latest, domain, name);
CREATE INDEX versions_facets ON versions (is_latest, domain, owner_team, status);
CREATE INDEX versions_owner_team ON versions (lower(owner_team));
CREATE INDEX versions_owner_email ON versions (lower(owner_email));
CREATE INDEX versions_search ON versions USING GIN (search);

-- The tags of the latest version of each product, lowercased.
CREATE TABLE latest_tags (
  tag        TEXT NOT NULL,
  version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  PRIMARY KEY (tag, version_id)
);
CREATE INDEX latest_tags_version ON latest_tags (version_id);

CREATE TABLE edges (
  version_id BIGINT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  input      TEXT NOT NULL,
  kind       TEXT NOT NULL,
  to_domain  TEXT NOT NULL DEFAULT '',
  to_name    TEXT NOT NULL DEFAULT '',
  to_range   TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (version_id, input)
);
CREATE INDEX edges_to ON edges (to_domain, to_name);

CREATE TABLE nodes (
  name           TEXT PRIMARY KEY,
  url            TEXT NOT NULL,
  domains        JSONB NOT NULL DEFAULT '[]',
  registered_at  TIMESTAMPTZ NOT NULL,
  last_heartbeat TIMESTAMPTZ NOT NULL,
  available      BOOLEAN NOT NULL DEFAULT true
);

CREATE TABLE node_products (
  node       TEXT NOT NULL REFERENCES nodes (name) ON DELETE CASCADE,
  domain     TEXT NOT NULL,
  name       TEXT NOT NULL,
  version    TEXT NOT NULL,
  url        TEXT NOT NULL,
  links      JSONB NOT NULL DEFAULT '{}',
  status     JSONB,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (node, domain, name, version)
);
CREATE INDEX node_products_product ON node_products (domain, name, version);
