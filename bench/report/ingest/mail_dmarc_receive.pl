# Mail::DMARC's receive path (Debian libmail-dmarc-perl), as dmarc_receive
# --file runs it, on each message named: MIME parsing, gunzip, XML, and the
# save into its SQL store (SQLite, mail-dmarc.ini in the working folder).
#   perl mail_dmarc_receive.pl MESSAGE...
use strict;
use warnings;
use Mail::DMARC::Report::Receive;

my $r = Mail::DMARC::Report::Receive->new;
my ($n, $bad) = (0, 0);
for my $f (@ARGV) {
    if (eval { $r->from_file($f); 1 }) { $n++ } else { $bad++ }
}
print "$n $bad\n";
