#!/usr/bin/perl
# Mail::DKIM (Debian libmail-dkim-perl) signing and verifying the messages
# of gen.py, one process, warm.
#
# Usage: mail_dkim_bench.pl DATADIR SECONDS
#
# The private key is parsed once (a Mail::DKIM::PrivateKey object handed to
# every Signer); public keys come from a stub in place of
# Mail::DKIM::DNS::query that answers from keys.txt, so Mail::DKIM parses
# the record for every message, as it does with real DNS.  The Debian
# version (1.20230212) has no Ed25519, so only RSA rows are printed.
# Prints "mail-dkim SIZE ALG OP RATE" lines (best of three rounds).
use strict;
use warnings;
use Time::HiRes qw(clock_gettime CLOCK_PROCESS_CPUTIME_ID);
use Mail::DKIM::Signer;
use Mail::DKIM::Verifier;
use Mail::DKIM::PrivateKey;
use Net::DNS;

my ($dir, $seconds) = @ARGV;
die "usage: mail_dkim_bench.pl DATADIR SECONDS\n" unless defined $seconds;

my %rr;
open(my $kf, '<', "$dir/keys.txt") or die "$dir/keys.txt: $!\n";
while (my $line = <$kf>) {
	chomp $line;
	my ($name, $rec) = split(/ /, $line, 2);
	$rr{lc $name} = Net::DNS::RR->new(name => $name, type => 'TXT',
	    txtdata => $rec);
}
close($kf);

{
	no warnings 'redefine';
	*Mail::DKIM::DNS::query = sub {
		my ($name, $type) = @_;
		my $r = $rr{lc $name};
		return $r ? ($r) : ();
	};
}

my $key = Mail::DKIM::PrivateKey->load(File => "$dir/rsa.pem");

sub slurp {
	my ($path) = @_;
	open(my $f, '<:raw', $path) or die "$path: $!\n";
	local $/;
	my $s = <$f>;
	close($f);
	return $s;
}

sub rate {
	my ($fn) = @_;
	$fn->();
	my $best = 0;
	for my $round (1 .. 3) {
		my ($n, $t) = (0, 0);
		my $t0 = clock_gettime(CLOCK_PROCESS_CPUTIME_ID);
		do {
			$fn->();
			$n++;
			$t = clock_gettime(CLOCK_PROCESS_CPUTIME_ID);
		} while ($t - $t0 < $seconds / 3);
		my $r = $n / ($t - $t0);
		$best = $r if $r > $best;
	}
	return $best;
}

for my $size (qw(2k 20k 200k 2m)) {
	my $signed = slurp("$dir/msg-$size-rsa.eml");
	my $verify = sub {
		my $v = Mail::DKIM::Verifier->new();
		$v->PRINT($signed);
		$v->CLOSE();
		$v->result eq 'pass'
		    or die "mail-dkim: $size does not verify: "
		    . $v->result_detail . "\n";
	};
	printf("mail-dkim %s rsa verify %.1f\n", $size, rate($verify));

	my $msg = slurp("$dir/msg-$size.eml");
	my $sign = sub {
		my $s = Mail::DKIM::Signer->new(
			Algorithm => 'rsa-sha256',
			Method => 'relaxed',
			Domain => 'bench.example',
			Selector => 'rsa2048',
			Key => $key,
			Headers => 'from:to:cc:subject:date:message-id:'
			    . 'mime-version:content-type',
		);
		$s->PRINT($msg);
		$s->CLOSE();
		$s->signature->as_string or die "mail-dkim: no signature\n";
	};
	printf("mail-dkim %s rsa sign %.1f\n", $size, rate($sign));
	STDOUT->flush();
}
