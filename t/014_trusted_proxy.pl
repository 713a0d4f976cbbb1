# Behind a reverse proxy (--trusted-proxy): only a trusted peer's
# X-Forwarded-For names the client, as the rightmost address in it that is
# not itself a trusted proxy. The client is what the database counts
# failed logins against and what the access log shows; from anyone else the
# header is the client's own claim and changes nothing. 127.0.0.2 plays the
# trusted proxy, 127.0.0.3 a client that forges the header.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep time);

my $binary = 'frontend/authoob-http';
my $proxy = '127.0.0.2';
my $stranger = '127.0.0.3';

# --- the flag
like(qx{$binary --help 2>&1}, qr/--trusted-proxy=CIDR/, '--help lists --trusted-proxy');
for my $bad ('10.0.0.0/33', '::1/129', '10.0.0.0/', '10.0.0.0/8x', '10.0.0.0 /8', 'proxy.example.com', '')
{
	my $out = qx{$binary --trusted-proxy '$bad' 2>&1};
	is($? >> 8, 2, "--trusted-proxy '$bad': exit 2");
	like($out, qr/\Aauthoob-http: invalid value [^\n]+--trusted-proxy[^\n]*\n\z/, "--trusted-proxy '$bad': one line");
}

my $db = new_database();
my $password = strong_password();
# Three failed logins from one client address and it waits out the window;
# accounts are never blocked here, so that only the address counts.
psql($db, q{SELECT authoob_configure('{"ip_failures_per_window": 3, "login_free_failures": 1000}')});
my $front = AuthoobTest::Front->start(db => $db,
	args => ['--trusted-proxy', "$proxy/32", '--trusted-proxy', '2001:db8:ffff::/48']);
like($front->log, qr/X-Forwarded-For names the client behind 2 trusted proxy networks/, 'the start says whom it trusts');
register_user($front, 'alice@example.com', $password);

my $ghosts = 0;
# A failed login (an unknown account each time) from $from with $forwarded.
sub fail_login
{
	my ($from, $forwarded) = @_;
	# sharded, limits count per partition: alice's, with alice's logins
	my $ghost = same_partition($db, email => 'alice@example.com', 1, sub { "ghost" . ($ghosts + $_[0]) . '@example.com' });
	($ghosts) = $ghost =~ /(\d+)/;
	return $front->request(POST => '/login', from => $from,
		headers => { defined $forwarded ? ('X-Forwarded-For' => $forwarded) : () },
		json => { email => $ghost, password => 'Wr0ngpassword' })->{status};
}

sub alice_login
{
	my ($from, $forwarded) = @_;
	return $front->request(POST => '/login', from => $from,
		headers => { 'X-Forwarded-For' => $forwarded },
		json => { email => 'alice@example.com', password => $password })->{status};
}

sub ip_failures
{
	return psql($db, q{SELECT string_agg(key || '=' || window_failures, ' ' ORDER BY key)
		FROM authoob.throttle WHERE scope = 'ip'});
}

# The client the access log names for a request from $from with these
# X-Forwarded-For lines (a string is one line, an array that many).
sub client_of
{
	my ($from, $forwarded) = @_;
	# count the health lines, not all lines: the line of the request before
	# may be written after this one is counted (it is written once the
	# answer is out)
	my $health = qr{ GET /authoob/health 200 \d+us (\S+)$};
	my $before = grep { /$health/ } $front->access_lines;
	$front->request(GET => '/health', from => $from,
		headers => { defined $forwarded ? ('X-Forwarded-For' => $forwarded) : () });
	my @lines;
	wait_until(sub { @lines = grep { /$health/ } $front->access_lines; @lines > $before }, 5);
	return @lines > $before && $lines[$before] =~ $health ? $1 : 'no line';
}

# --- an untrusted peer: its X-Forwarded-For changes nothing
is(client_of($stranger, '198.51.100.1'), $stranger, 'untrusted peer: the log names the peer, not its header');
is(fail_login($stranger, "198.51.100.$_"), 401, "untrusted peer, failure $_ under a new forged address")
  for 1 .. 3;
is(fail_login($stranger, '198.51.100.4'), 429, 'its address is blocked after three failures');
is(alice_login($stranger, '198.51.100.5'), 429, 'and stays blocked whatever X-Forwarded-For it sends');
is(alice_login($stranger, "$proxy"), 429, 'even naming the trusted proxy');
is(ip_failures(), "$stranger=3", 'the throttle rows name the peer, and no forged address');
unlike($front->log, qr/access: .* 198\.51\.100\.\d+$/m, 'no access line names a forged address');

# --- a trusted peer: the rightmost untrusted address is the client
is(client_of($proxy, '203.0.113.7'), '203.0.113.7', 'trusted proxy: the log names the forwarded client');
is(client_of($proxy), $proxy, 'without X-Forwarded-For: the proxy itself');
is(fail_login($proxy, '203.0.113.7'), 401, "behind the proxy, failure $_") for 1 .. 3;
is(fail_login($proxy, '203.0.113.7'), 429, 'the forwarded client is blocked after three failures');
is(ip_failures(), "$stranger=3 203.0.113.7=3", 'the throttle row names the forwarded client, not the proxy');
is(alice_login($proxy, '203.0.113.8'), 200, 'another client behind the same proxy logs in');
is(alice_login($proxy, '203.0.113.8, 203.0.113.7'), 429,
	'and the blocked one cannot hide behind a forged address on the left');

my %chains = (
	"1.2.3.4, $proxy" => '1.2.3.4',
	"9.9.9.9, 1.2.3.4, $proxy, $proxy" => '1.2.3.4',
	"  1.2.3.4\t,$proxy " => '1.2.3.4',
	"$proxy, $proxy" => $proxy,
	"garbage, 1.2.3.4" => '1.2.3.4',
	'2001:db8::1' => '2001:db8::1',
	'2001:db8::1, 2001:db8:ffff::5' => '2001:db8::1',
	'::ffff:1.2.3.4' => '::ffff:1.2.3.4',
	'not-an-ip' => $proxy,
	"1.2.3.4, garbage" => $proxy,
	'1.2.3.4:8080' => $proxy,
	'[2001:db8::1]' => $proxy,
	'fe80::1%eth0' => $proxy,
	'1.2.3.4,' => $proxy,
	'' => $proxy,
);
for my $chain (sort keys %chains)
{
	is(client_of($proxy, $chain), $chains{$chain}, "X-Forwarded-For '$chain' is $chains{$chain}");
}
is(client_of($proxy, ['6.6.6.6', "1.2.3.4, $proxy"]), '1.2.3.4',
	'two header lines: read as one list, the last line rightmost');
is(client_of($proxy, ['1.2.3.4', ('127.0.0.2') x 8]), $proxy, 'nine lines are too many to believe');

# IPv6 clients are counted by their /64 (the ip_prefix_v6 setting).
is(fail_login($proxy, '2001:db8::1'), 401, 'a failure from an IPv6 client');
is(psql($db, q{SELECT window_failures FROM authoob.throttle WHERE scope = 'ip' AND key = '2001:db8::/64'}), '1',
	'is counted against its /64');
is(fail_login($proxy, 'nonsense'), 401, 'a failure with a garbage X-Forwarded-For');
is(psql($db, qq{SELECT window_failures FROM authoob.throttle WHERE scope = 'ip' AND key = '$proxy'}), '1',
	'is counted against the proxy');
is($front->stop('TERM'), 0, 'stops');

# --- connections: a trusted proxy's are not counted per client address
$front = AuthoobTest::Front->start(db => $db,
	args => ['--trusted-proxy', "$proxy/32", '--max-client-connections', '2']);

# Opens $count connections from $from, each with a header but its end; once
# the front has accepted them all (and so refused those over the limit at
# once), ends the headers and returns how many were answered 200.
sub answered
{
	my ($from, $count) = @_;
	local $SIG{PIPE} = 'IGNORE';
	my @socks = map {
		my $s = IO::Socket::INET->new(LocalAddr => $from, PeerAddr => '127.0.0.1', PeerPort => $front->port,
			Proto => 'tcp', Timeout => 5) or die "connect: $!";
		syswrite($s, "GET /authoob/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
		$s;
	} 1 .. $count;
	wait_until(sub { unaccepted($front->port) == 0 }, 10) or die 'the front does not accept';
	syswrite($_, "\r\n") for @socks;
	my $ok = 0;
	for my $s (@socks)
	{
		my $answer = '';
		my $select = IO::Select->new($s);
		my $deadline = time + 10;
		while (time < $deadline && $select->can_read(1))
		{
			last unless sysread($s, my $chunk, 4096);
			$answer .= $chunk;
		}
		$ok++ if $answer =~ m{^HTTP/1\.1 200 };
	}
	return $ok;
}
is(answered($stranger, 5), 2, 'a client holds at most --max-client-connections');
is(answered($proxy, 5), 5, 'a trusted proxy holds more: its clients share its address');
is($front->stop('TERM'), 0, 'stops');

done_testing();
