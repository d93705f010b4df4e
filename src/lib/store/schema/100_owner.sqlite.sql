-- 100 owner (SQLite): the aggregate reports a domain owner ingests (RFC
-- 9990 3.1, RFC 7489 Appendix C) and their rows.  The PostgreSQL twin,
-- 100_owner.pg.sql, has the same tables and columns.

-- One ingested report.  A report is stored once: the same reporter
-- (org_name and email), policy domain and report_id again is a duplicate
-- (RFC 9990 3.5.1: a Report-ID is unique among reports to one domain).
-- Texts are the report's, escaped to printable ASCII (store_escape);
-- NULL where the report had no such element.  errors and warnings are
-- lists ("text;text").
CREATE TABLE ingested_report (
	id INTEGER PRIMARY KEY,
	org_name TEXT NOT NULL,
	email TEXT NOT NULL,
	policy_domain TEXT NOT NULL,
	report_id TEXT NOT NULL,
	begin_time BIGINT NOT NULL,	-- date_range, UNIX seconds (UTC)
	end_time BIGINT NOT NULL,
	xml_schema TEXT NOT NULL,	-- 'rfc7489', 'rfc9990', 'other'
	version TEXT,
	extra_contact_info TEXT,
	generator TEXT,
	errors TEXT NOT NULL,
	adkim TEXT,			-- policy_published, as reported
	aspf TEXT,
	p TEXT,
	sp TEXT,
	np TEXT,
	pct INTEGER,
	fo TEXT,
	testing TEXT,
	discovery_method TEXT,
	nrecords BIGINT NOT NULL,
	total_count BIGINT NOT NULL,
	warnings TEXT NOT NULL,
	source TEXT NOT NULL,		-- where it was read: path, mailbox
	ingested_at BIGINT NOT NULL,
	UNIQUE (org_name, email, policy_domain, report_id)
);

-- One record of a report for one UTC day: a report whose period spans
-- several days has its counts split between them (include/vouch/
-- feedback.h says how).  reasons, dkim and spf are lists in the store's
-- escaped form: "type comment;...", "domain selector result human;...",
-- "domain scope result human;...".
CREATE TABLE ingested_row (
	report_ref BIGINT NOT NULL REFERENCES ingested_report (id)
	    ON DELETE CASCADE,
	day BIGINT NOT NULL,		-- 00:00 UTC of the day, UNIX seconds
	policy_domain TEXT NOT NULL,
	source_ip TEXT NOT NULL,
	count BIGINT NOT NULL,
	disposition TEXT,		-- policy_evaluated
	dkim_aligned TEXT,
	spf_aligned TEXT,
	reasons TEXT NOT NULL,
	header_from TEXT,		-- identifiers
	envelope_from TEXT,
	envelope_to TEXT,
	dkim TEXT NOT NULL,		-- auth_results
	spf TEXT NOT NULL
);
CREATE INDEX ingested_row_domain_day ON ingested_row (policy_domain, day);
CREATE INDEX ingested_row_report ON ingested_row (report_ref);

-- Reverse names of sources, looked up for `vouch report summary`, kept
-- until `expires` (UNIX seconds) so that summaries do not ask again.
CREATE TABLE source_ptr (
	ip TEXT PRIMARY KEY,
	name TEXT NOT NULL,		-- '' when the address has none
	expires BIGINT NOT NULL
);
