-- vouchd through Debian's miltertest (the milter client of OpenDKIM's
-- tools): the verify role inserts Authentication-Results, a DMARC failure
-- under p=reject is quarantined, a forged field of ours is deleted.
-- miltertest exits 0 when a step was negotiated away, so the last line
-- printed is a sentinel that tests/milter/miltertest.py looks for.
local sock = os.getenv("VOUCHD_SOCKET")

local function check(cond, what)
	if not cond then
		mt.echo("FAILED: " .. what)
		error(what)
	end
	mt.echo("PASSED: " .. what)
end

local function message(conn, from, ip, mailfrom, extra)
	check(mt.conninfo(conn, "client.example", ip) == nil, "connect " .. ip)
	check(mt.getreply(conn) == SMFIR_CONTINUE, "connect continues")
	check(mt.helo(conn, "client.example") == nil, "helo")
	check(mt.mailfrom(conn, mailfrom) == nil, "mail from")
	check(mt.header(conn, "From", from) == nil, "header From")
	check(mt.header(conn, "To", "bob@example.net") == nil, "header To")
	check(mt.header(conn, "Subject", "miltertest") == nil, "header Subject")
	if extra ~= nil then
		check(mt.header(conn, "Authentication-Results", extra) == nil,
		    "header Authentication-Results")
	end
	check(mt.eoh(conn) == nil, "end of header")
	check(mt.getreply(conn) == SMFIR_CONTINUE, "end of header continues")
	check(mt.bodystring(conn, "Hello.\r\n") == nil, "body")
	check(mt.eom(conn) == nil, "end of message")
end

local conn = mt.connect(sock, 40, 0.05)
check(conn ~= nil, "connected to " .. tostring(sock))
message(conn, "alice@example.com", "192.0.2.10", "<alice@example.com>",
    "mx.test.example; dkim=pass header.d=example.com")
check(mt.getreply(conn) == SMFIR_ACCEPT or mt.getreply(conn) == SMFIR_CONTINUE,
    "passing message accepted")
check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"),
    "Authentication-Results inserted")
check(mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results"),
    "forged Authentication-Results of ours deleted")
check(not mt.eom_check(conn, MT_QUARANTINE), "passing message not quarantined")
mt.disconnect(conn)

conn = mt.connect(sock, 40, 0.05)
check(conn ~= nil, "connected again")
message(conn, "ceo@example.com", "198.51.100.9", "<x@other.example>", nil)
check(mt.eom_check(conn, MT_QUARANTINE), "DMARC p=reject failure quarantined")
check(mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"),
    "quarantined message gets its Authentication-Results")
mt.disconnect(conn)
mt.echo("VOUCHD-MILTERTEST-OK")
