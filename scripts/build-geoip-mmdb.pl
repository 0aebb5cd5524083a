#!/usr/bin/perl
# Converts Debian's tor-geoipdb range files into a GeoLite2-Country-like .mmdb: the node's
# built-in default database (geo.database: ""). Takes about 6 s for the full set.
#
#   perl scripts/build-geoip-mmdb.pl OUT.mmdb [/usr/share/tor/geoip [/usr/share/tor/geoip6]]
#
# Input rows: "FROM_INT,TO_INT,CC" (IPv4 as decimal, inclusive) and "FROM_V6,TO_V6,CC";
# '#' comments; "??" = unknown, skipped. Records are {country => {iso_code => CC}}, so the
# node reads them as it reads GeoLite2-Country. The data is the IPFire Location database
# (CC BY-SA 4.0), as converted by Tor's geoip-db-tool; the file records that in its
# description.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, $g4, $g6) = @ARGV;
die "usage: $0 OUT.mmdb [GEOIP [GEOIP6]]\n" unless defined $out;
$g4 //= '/usr/share/tor/geoip';
$g6 //= '/usr/share/tor/geoip6';

my %types = (country => 'map', iso_code => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => 6,
    record_size              => 28,
    database_type            => 'llm-edge-Tor-GeoIP-Country',
    languages                => ['en'],
    description              => { en => 'Country ranges from Debian tor-geoipdb (IPFire Location, CC BY-SA 4.0)' },
    alias_ipv6_to_ipv4       => 1,
    remove_reserved_networks => 0,
    map_key_type_callback    => sub { $types{ $_[0] } },
);
my %record;  # one hashref per country, shared by its ranges
sub rec { my $cc = shift; $record{$cc} //= { country => { iso_code => $cc } } }

sub rows {
    my ($file, $each) = @_;
    open my $fh, '<', $file or die "$file: $!\n";
    my $n = 0;
    while (my $line = <$fh>) {
        next if $line =~ /^\s*(#|$)/;
        chomp $line;
        my ($from, $to, $cc) = split /,/, $line;
        die "$file:$.: not FROM,TO,CC: $line\n" unless defined $cc;
        next if $cc eq '??';
        die "$file:$.: bad country code '$cc'\n" unless $cc =~ /^[A-Z]{2}$/;
        $n += $each->($from, $to, $cc);
    }
    close $fh;
    return $n;
}

my $v4 = rows($g4, sub {
    my ($from, $to, $cc) = @_;
    my $a = join '.', unpack 'C4', pack 'N', $from;
    my $b = join '.', unpack 'C4', pack 'N', $to;
    $tree->insert_range($a, $b, rec($cc));
    return 1;
});
my $v6 = -e $g6 ? rows($g6, sub {
    my ($from, $to, $cc) = @_;
    # With alias_ipv6_to_ipv4, 6to4 (2002::/16), Teredo (2001::/32) and IPv4-mapped
    # (::ffff:0:0/96) are aliases of the IPv4 tree and must not be written.
    return 0 if $from =~ /^2002:/i || $from =~ /^2001:0*:/i || $from =~ /^::ffff:/i;
    $tree->insert_range($from, $to, rec($cc));
    return 1;
}) : 0;
die "no ranges read from $g4\n" unless $v4 > 0;

open my $ofh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($ofh);
close $ofh or die "$out: $!\n";
print "$out: $v4 IPv4 and $v6 IPv6 ranges\n";
