#!/bin/sh
# make demo: verify the bundled real messages against the DNS key records
# their signers published (examples/zone.db), and print the
# Authentication-Results field vouch writes for each.  See README.md here
# for where every message comes from.
set -eu
vouch=${1:-build/src/cli/vouch}
dir=$(dirname "$0")
zone="$dir/zone.db"

# name  verification-time  description
while read -r msg now what; do
	[ -n "$msg" ] || continue
	printf '\n== %s: %s\n' "$msg" "$what"
	if [ "$now" = "-" ]; then
		"$vouch" dkim verify --authserv-id demo.vouch.example \
		    --zone "$zone" "$dir/$msg"
	else
		"$vouch" dkim verify --authserv-id demo.vouch.example \
		    --zone "$zone" --now "$now" "$dir/$msg"
	fi
done <<LIST
gmail.eml - a real Gmail message (rsa-sha256, relaxed/relaxed, 2012)
exim-ed25519.eml - an Exim-signed Ed25519 message (RFC 8463)
rfc8463.eml - RFC 8463 Appendix A: Ed25519 and RSA signatures
ietf.eml 1667843664 a real ietf.org mailing-list message (2022)
facebookmail.eml 1667862900 a real facebookmail.com message (key t=s), verified just after its t=
topicbox.eml 1667843664 a real topicbox.com message (x= expiry: verified at its time)
github.eml 1667843664 a real github.com notification
vouch-signed.eml - a message vouch signed itself (Ed25519 and RSA)
LIST

# A message forwarded through Gmail, which sealed it with ARC (RFC 8617).
printf '\n== arc-gmail.eml: a real message sealed by Gmail with ARC\n'
"$vouch" arc verify --authserv-id demo.vouch.example --zone "$zone" \
    "$dir/arc-gmail.eml"

# The receiver's whole verdict: SPF for the SMTP session, every DKIM
# signature, DMARC with both, explained for a person.
printf '\n== vouch verify --explain: vouch-signed.eml received from 192.0.2.25\n'
"$vouch" verify --authserv-id demo.vouch.example --zone "$zone" \
    --ip 192.0.2.25 --helo mail.vouch.example --mail-from demo@vouch.example \
    --explain "$dir/vouch-signed.eml"
