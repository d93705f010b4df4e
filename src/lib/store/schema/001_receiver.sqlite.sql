-- 001 receiver (SQLite): what a receiver records and sends for DMARC
-- aggregate reporting (RFC 9990).  The PostgreSQL twin,
-- 001_receiver.pg.sql, has the same tables and columns.

-- A DMARC Policy Record as evaluated (RFC 9990 3.1.1.5): the tags as
-- published (NULL when absent; defaults are applied when a report is
-- written), how it was found, and the report destinations left after the
-- external destination check (RFC 9990 4), comma-separated.  One row per
-- distinct content: key_hash is the SHA-256 of the canonical text of all
-- the other columns but id and first_seen.
CREATE TABLE evaluation_policy (
	id INTEGER PRIMARY KEY,
	key_hash TEXT NOT NULL UNIQUE,
	domain TEXT NOT NULL,
	discovery_method TEXT NOT NULL,	-- 'treewalk' or 'psl'
	p TEXT,				-- 'none', 'quarantine', 'reject'
	sp TEXT,
	np TEXT,
	adkim TEXT NOT NULL,		-- 'r' or 's'
	aspf TEXT NOT NULL,
	fo TEXT,			-- '0:d', ...
	testing TEXT NOT NULL,		-- 'y' or 'n'
	psd TEXT NOT NULL,		-- 'y', 'n' or 'u'
	pct INTEGER NOT NULL,		-- RFC 7489 pct=, 100 when absent
	rua TEXT NOT NULL,
	ruf TEXT NOT NULL,
	first_seen BIGINT NOT NULL
);

-- One evaluation to report: one message, one author domain.  Words are
-- those of RFC 9990's XML; reasons and dkim are lists in the store's
-- escaped form (src/lib/store/codec.c): "type comment;..." and
-- "domain selector result human;...".
CREATE TABLE evaluation (
	time BIGINT NOT NULL,		-- UNIX seconds (UTC)
	policy_domain TEXT NOT NULL,
	policy_id BIGINT NOT NULL REFERENCES evaluation_policy (id),
	source_ip TEXT NOT NULL,
	header_from TEXT NOT NULL,
	envelope_from TEXT,		-- '' null reverse-path, NULL unknown
	envelope_to TEXT,		-- NULL unknown
	dmarc_result TEXT NOT NULL,	-- pass, fail, temperror, permerror
	disposition TEXT NOT NULL,	-- none, pass, quarantine, reject
	dkim_aligned TEXT NOT NULL,	-- 'pass' or 'fail'
	spf_aligned TEXT NOT NULL,
	reasons TEXT NOT NULL,
	spf_domain TEXT,		-- NULL: SPF not checked
	spf_scope TEXT,			-- 'mfrom' or 'helo'
	spf_result TEXT,
	dkim TEXT NOT NULL
);
CREATE INDEX evaluation_time ON evaluation (time);

-- A generated aggregate report: one per policy domain and interval (RFC
-- 9990 3.1), kept so that it is sent, and sent again, byte for byte.
CREATE TABLE outgoing_report (
	id INTEGER PRIMARY KEY,
	policy_domain TEXT NOT NULL,
	begin_time BIGINT NOT NULL,
	end_time BIGINT NOT NULL,
	report_id TEXT NOT NULL,
	format TEXT NOT NULL,		-- 'rfc9990' or 'rfc7489'
	org_name TEXT NOT NULL,
	email TEXT NOT NULL,
	submitter TEXT NOT NULL,
	filename TEXT NOT NULL,
	content BLOB NOT NULL,		-- the file: gzip-compressed XML
	rua TEXT NOT NULL,
	records BIGINT NOT NULL,
	messages BIGINT NOT NULL,
	generated_at BIGINT NOT NULL,
	UNIQUE (policy_domain, begin_time, end_time)
);

-- Delivery of a report to one destination: the state per (policy domain,
-- interval, destination).  status: pending, sending, sent, retry, failed,
-- suppressed, unauthorized.
CREATE TABLE outgoing_delivery (
	report BIGINT NOT NULL REFERENCES outgoing_report (id)
	    ON DELETE CASCADE,
	destination TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_attempt BIGINT,
	next_attempt BIGINT,
	last_code INTEGER,
	last_text TEXT,
	PRIMARY KEY (report, destination)
);
CREATE INDEX outgoing_delivery_status ON outgoing_delivery (status);

-- Never send to these: kind 'destination' (an address, or a domain: every
-- address at it) or 'domain' (a policy domain: no report about it).
CREATE TABLE suppression (
	kind TEXT NOT NULL,
	value TEXT NOT NULL,
	added_at BIGINT NOT NULL,
	comment TEXT,
	PRIMARY KEY (kind, value)
);
