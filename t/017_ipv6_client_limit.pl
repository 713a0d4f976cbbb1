# One IPv6 host owns a whole /64: the front counts its connections by /64,
# as the database counts its failures, so that it cannot hold the service
# by taking an address of its /64 per connection.  Runs in a network
# namespace of its own (unshare -n) with addresses of two /64s on lo;
# Postgres is reached over its Unix socket as a login role in authoob_api.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;
use IO::Socket::IP;
use File::Temp ();
use POSIX ':sys_wait_h';
use Time::HiRes qw(sleep time);

skip_all_missing('needs root and unshare') unless $> == 0 && -x '/usr/bin/unshare';
if (!$ENV{AUTHOOB_IN_NETNS})
{
	# Postgres is reached over its Unix socket from the new namespace.
	my $db = new_database();
	# the front logs in over the Unix socket (peer: OS user root), as the
	# front role of docs/http-api.md: a login role that is only a member of authoob_api
	psql($db, q{DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'root') THEN
		CREATE ROLE root LOGIN IN ROLE authoob_api; END IF; END $$});
	$ENV{AUTHOOB_IN_NETNS} = $db;
	$ENV{PGHOST} = '/var/run/postgresql';
	$ENV{PGUSER} = 'root';
	{ exec('unshare', '-n', $^X, $0) };
	die "exec unshare: $!";
}

my $db = $ENV{AUTHOOB_IN_NETNS};
system('ip link set lo up') == 0 or die;
# the host's /64 (its server's address and the attacker's), a client of
# another /64 for the control, and a victim elsewhere
for my $a ('2001:db8:1::1', (map { sprintf '2001:db8:1::%x', 0x1000 + $_ } 1 .. 10), '2001:db8:2::2',
	'2001:db8:3::3')
{
	system("ip -6 addr add $a/128 dev lo nodad") == 0 or die "ip addr add $a";
}
my $port = 5582;
my $log = File::Temp->new;
my $front = fork // die;
if ($front == 0)
{
	open(STDOUT, '>', $log->filename); open(STDERR, '>&', \*STDOUT);
	{ exec('frontend/authoob-http', '--listen', "[2001:db8:1::1]:$port", '--db', "dbname=$db",
		'--threads', '2', '--max-client-connections', '4', '--max-connections', '40') };
	POSIX::_exit(127);
}
sub front_log { do { local (@ARGV, $/) = ($log->filename); <> } // '' }
wait_until(sub { front_log() =~ /listening on/ || waitpid($front, WNOHANG) == $front }, 30)
  && front_log() =~ /listening on/
  or BAIL_OUT("authoob-http did not start:\n" . front_log());

sub connect_from
{
	my ($from) = @_;
	return IO::Socket::IP->new(PeerHost => '2001:db8:1::1', PeerPort => $port,
		LocalHost => $from, Proto => 'tcp', Timeout => 2);
}
# open: the server has not closed it (no EOF, no reset)
sub still_open
{
	return scalar grep { !IO::Select->new($_)->can_read(0) } @_;	# readable: EOF, reset or an answer
}
# How many of the sockets stay open once the front has accepted them all
# and closed at once those over the limit (waiting for that at most 5 s:
# the header deadline, 10 s, closes the rest later)
sub kept
{
	my ($limit, @socks) = @_;
	wait_until(sub { unaccepted($port) == 0 && still_open(@socks) <= $limit }, 5);
	return still_open(@socks);
}
sub get_health
{
	my ($from, $timeout) = @_;
	my $s = IO::Socket::IP->new(PeerHost => '2001:db8:1::1', PeerPort => $port,
		($from ? (LocalHost => $from) : ()), Proto => 'tcp', Timeout => 2) or return 'no connect';
	print $s "GET /authoob/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	my $sel = IO::Select->new($s);
	my $answer = '';
	my $until = time + $timeout;
	while (time < $until && $sel->can_read($until - time))
	{
		my $n = sysread($s, my $buf, 4096);
		last unless $n;
		$answer .= $buf;
	}
	return $answer =~ m{^HTTP/1.1 (\d+)} ? $1 : 'no answer';
}

is(get_health('2001:db8:2::2', 3), 200, 'a client at 2001:db8:2::2 is served');

# Control: one address, 8 half-open connections: 4 are closed at once.
my @one = grep { $_ } map { connect_from('2001:db8:3::3') } 1 .. 8;
print $_ "GET /authoob/health HTTP/1.1\r\n" for @one;
is(kept(4, @one), 4, 'from one address, 4 of 8 half-open connections are kept');
close $_ for @one;

# The attack: 10 addresses of one /64, 4 half-open connections each.
my @held;
for my $i (1 .. 10)
{
	for (1 .. 4)
	{
		my $s = connect_from(sprintf '2001:db8:1::%x', 0x1000 + $i) or next;
		print $s "GET /authoob/health HTTP/1.1\r\n";
		push @held, $s;
	}
}
is(kept(4, @held), 4, 'ten addresses of one /64 hold 4 half-open connections in all: the /64 is one client');
is(get_health('2001:db8:2::2', 3), 200, 'meanwhile a client of another /64 is served');

close $_ for @held;
kill 'TERM', $front;
my $stopped = wait_until(sub { waitpid($front, WNOHANG) == $front }, 30);
my $status = $?;
if (!$stopped) { kill 'KILL', $front; waitpid($front, 0) }
ok($stopped && $status == 0, 'the front stops on SIGTERM, exit 0') or diag(front_log());
done_testing();
