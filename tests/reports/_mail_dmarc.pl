# Reads DMARC aggregate report messages with Debian's Mail::DMARC
# (libmail-dmarc-perl): Mail::DMARC::Report::Receive->from_file, its own
# MIME and XML parsing; only the final save to Mail::DMARC's SQL store is
# replaced by printing what it parsed, as JSON on standard output.
#   perl _mail_dmarc.pl MESSAGE-FILE...
use strict;
use warnings;
use JSON::PP;
use Mail::DMARC::Report::Receive;

my @out;
{
    no warnings 'redefine';
    *Mail::DMARC::Report::save_aggregate = sub {
        my $self = shift;
        my $agg = $self->aggregate;
        my @recs;
        foreach my $rec (@{ $agg->record || [] }) {
            push @recs, {
                source_ip => $rec->row->source_ip,
                count => $rec->row->count + 0,
                disposition => $rec->row->policy_evaluated->disposition,
                dkim => $rec->row->policy_evaluated->dkim,
                spf => $rec->row->policy_evaluated->spf,
                header_from => $rec->identifiers->header_from,
            };
        }
        push @out, { report_id => $agg->metadata->report_id, domain => $agg->policy_published->domain,
                     p => $agg->policy_published->p, records => \@recs };
        return 1;
    };
}
my $r = Mail::DMARC::Report::Receive->new;
for my $f (@ARGV) {
    my $t = eval { $r->from_file($f) };
    push @out, { file => $f, error => "$@" } if $@;
}
print JSON::PP->new->canonical->encode(\@out), "\n";
