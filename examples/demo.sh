#!/bin/sh
# make demo: verify the bundled example messages against their DNS records.
echo "demo: not built yet" >&2
exit 1
