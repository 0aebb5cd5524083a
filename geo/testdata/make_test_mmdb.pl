#!/usr/bin/perl
# Writes the geo tests' databases into DIR, with known addresses (see geo/geo_test.cc):
#   geoip2-country.mmdb  GeoLite2-Country layout, IPv6 tree with IPv4 aliased:
#     DE 85.214.0.0/16 2a01:4f8::/32   FR 2.0.0.0/16 2a01:cb00::/32
#     US 8.8.8.0/24 2001:4860::/32     JP 133.0.0.0/8 2001:200::/32
#     203.0.113.0/24: registered_country NL only; 192.0.2.0/24: a record without a country
#   ipinfo-country.mmdb  IPinfo layouts: 85.214.0.0/16 {country_code DE, country Germany},
#                        2.0.0.0/16 {country FR} (the older IPinfo country database)
#   ipv4-only.mmdb       an IPv4 tree: 85.214.0.0/16 DE
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $dir = shift or die "usage: $0 DIR\n";
my %types = (country => 'map', registered_country => 'map', continent => 'map',
             iso_code => 'utf8_string', code => 'utf8_string', country_code => 'utf8_string');

sub tree {
    my ($version, $types, $type) = @_;
    return MaxMind::DB::Writer::Tree->new(
        ip_version => $version, record_size => 24, database_type => $type, languages => ['en'],
        description => { en => 'llm-edge geo test data' },
        alias_ipv6_to_ipv4 => $version == 6 ? 1 : 0, remove_reserved_networks => 0,
        map_key_type_callback => sub { $types->{ $_[0] } });
}
sub write_to {
    my ($tree, $file) = @_;
    open my $fh, '>:raw', "$dir/$file" or die "$dir/$file: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$dir/$file: $!\n";
}
sub cc { { country => { iso_code => $_[0] }, registered_country => { iso_code => $_[0] } } }

my $t = tree(6, \%types, 'GeoLite2-Country');
my %nets = (DE => ['85.214.0.0/16', '2a01:4f8::/32'], FR => ['2.0.0.0/16', '2a01:cb00::/32'],
            US => ['8.8.8.0/24', '2001:4860::/32'], JP => ['133.0.0.0/8', '2001:200::/32']);
for my $c (sort keys %nets) { $t->insert_network($_, cc($c)) for @{ $nets{$c} } }
$t->insert_network('203.0.113.0/24', { registered_country => { iso_code => 'NL' } });
$t->insert_network('192.0.2.0/24', { continent => { code => 'EU' } });
write_to($t, 'geoip2-country.mmdb');

my %flat = (country => 'utf8_string', country_code => 'utf8_string');
$t = tree(6, \%flat, 'ipinfo country.mmdb');
$t->insert_network('85.214.0.0/16', { country_code => 'DE', country => 'Germany' });
$t->insert_network('2.0.0.0/16', { country => 'FR' });
write_to($t, 'ipinfo-country.mmdb');

$t = tree(4, \%types, 'GeoLite2-Country');
$t->insert_network('85.214.0.0/16', cc('DE'));
write_to($t, 'ipv4-only.mmdb');
