# The demo of scripts/run.sh as a new user meets it, from its cluster to its
# Ctrl-C: scripts/virtualenv.sh makes the cluster with no locale in the
# environment and scripts/serve.sh serves it.  A password of 7 characters
# (11 bytes) is refused, which a cluster that counted bytes let through; a
# registration's mail is printed; a Ctrl-C to the process group stops it
# all with exit status 0, no traceback, no error, nothing left running.
use strict;
use warnings;
use utf8;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ':sys_wait_h';
use Test::More;
use Time::HiRes qw(sleep time);

skip_all_missing('authoob-http is not installed (scripts/build.sh)')
  unless grep { -x "$_/authoob-http" } split /:/, $ENV{PATH};

# Ports of its own for the front, the mail printer and the cluster: the
# sockets stay open until all three are chosen, so that they differ.
my @sockets = map {
	IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
	  or die "no free port: $!"
} 1 .. 3;
my ($http_port, $smtp_port, $pg_port) = map { $_->sockport } @sockets;
close $_ for @sockets;

my $log = File::Temp->new;
my $pid = fork // die "fork: $!";
if ($pid == 0)
{
	# a terminal's foreground job: a process group of its own, the default
	# SIGINT, and no locale, as on a bare system
	POSIX::setsid();
	$SIG{INT} = $SIG{TERM} = 'DEFAULT';
	delete @ENV{ grep { /^(LANG|LANGUAGE|LC_\w+)$/ } keys %ENV };
	@ENV{qw(AUTHOOB_LISTEN AUTHOOB_SMTP_PORT PGPORT)} = ("127.0.0.1:$http_port", $smtp_port, $pg_port);
	open(STDOUT, '>', $log->filename) or POSIX::_exit(127);
	open(STDERR, '>&', \*STDOUT) or POSIX::_exit(127);
	exec('bash', 'scripts/virtualenv.sh', 'bash', 'scripts/serve.sh') or POSIX::_exit(127);
}

sub output { open(my $fh, '<:encoding(UTF-8)', $log->filename) or die $!; local $/; <$fh> // '' }

# Whether the demo has ended; its exit status, as a shell gives it, is then
# in $exit_status.
my $exit_status;
sub ended
{
	if (!defined $exit_status && waitpid($pid, WNOHANG) == $pid)
	{
		$exit_status = $? & 127 ? 128 + ($? & 127) : $? >> 8;
	}
	return defined $exit_status;
}

# Whether the output matches within SECONDS, the demo still running.
sub wait_for
{
	my ($pattern, $seconds) = @_;
	for (my $deadline = time + $seconds; time < $deadline && !ended(); sleep 0.1)
	{
		return 1 if output() =~ $pattern;
	}
	return 0;
}

# Whether the demo ends within SECONDS.
sub wait_end
{
	my ($seconds) = @_;
	for (my $deadline = time + $seconds; time < $deadline; sleep 0.1)
	{
		return 1 if ended();
	}
	return 0;
}

# Should a check die on the way, the demo is stopped all the same.
END
{
	if ($pid && !ended())
	{
		kill 'INT', -$pid;
		wait_end(60) or kill 'KILL', -$pid;
	}
}

ok(wait_for(qr/Ctrl-C stops/, 120), 'the demo is up') or diag(output());

my $http = HTTP::Tiny->new(timeout => 30);
my $url = "http://127.0.0.1:$http_port/authoob/register";
sub register
{
	my ($email, $password) = @_;
	my $body = JSON::PP->new->utf8->encode(
		{ email => $email, password1 => $password, password2 => $password });
	return $http->post($url, { content => $body, headers => { 'Content-Type' => 'application/json' } })->{status};
}
is(register('short@example.com', 'Ab1éééé'), 400,
	'a password of 7 characters is refused, though it has 11 bytes');
is(register('me@example.com', '1Password'), 200, 'a registration succeeds');
ok(wait_for(qr/^--- mail to me\@example\.com: /m, 30), 'and its mail is printed');

kill 'INT', -$pid;
ok(wait_end(60), 'Ctrl-C stops it');
is($exit_status, 0, 'with exit status 0');
unlike(output(), qr/Traceback|Exception|Error|tail:|No such file/,
	'no traceback, no error') or diag(output());
like(output(), qr/Dropping cluster/, 'the cluster is dropped');
ok(!kill(0, -$pid), 'nothing of it is left running');
for my $port ($http_port, $smtp_port)
{
	ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port),
		"nothing listens on $port any more");
}

done_testing();
