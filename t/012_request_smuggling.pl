# Request smuggling: a request whose length two parsers could read
# differently (Content-Length beside Transfer-Encoding, RFC 9112 section
# 6.3) is refused with a 400 and its connection closed, so that a request
# hidden after it is never read, let alone run.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IO::Select;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time);

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db);
my $password = strong_password();

# Writes $bytes at once on a new connection and reads until the front closes
# it, at most 5 s. Returns what was read, and whether the front closed it.
sub exchange
{
	my ($bytes) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $front->port, Proto => 'tcp')
	  or die "connect: $!";
	syswrite($s, $bytes);
	my ($text, $select, $deadline) = ('', IO::Select->new($s), time + 5);
	while (time < $deadline)
	{
		next unless $select->can_read(0.2);
		my $n = sysread($s, my $chunk, 65536);
		return ($text, 1) unless $n;
		$text .= $chunk;
	}
	return ($text, 0);
}

# The hidden request registers a user, if it is ever served.
sub register_request
{
	my ($email) = @_;
	my $body = json_encode({ email => $email, password1 => $password, password2 => $password });
	return "POST /authoob/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	  . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
}

sub users_named
{
	my ($email) = @_;
	return psql($db, "SELECT count(*) FROM authoob.users WHERE email = '$email'");
}

# A proxy that goes by Content-Length forwards one request, whose body is the
# chunked end and the hidden request; going by Transfer-Encoding, the body
# ends at the chunked end and the hidden request comes next.
for my $case (
	[ 'Content-Length, then Transfer-Encoding: chunked', 'smuggled1@example.com',
		sub { "Content-Length: $_[0]\r\nTransfer-Encoding: chunked\r\n" } ],
	[ 'Transfer-Encoding: chunked, then Content-Length', 'smuggled2@example.com',
		sub { "Transfer-Encoding: chunked\r\nContent-Length: $_[0]\r\n" } ])
{
	my ($name, $email, $framing) = @$case;
	my $inside = "0\r\n\r\n" . register_request($email);
	my ($text, $closed) = exchange("POST /authoob/login HTTP/1.1\r\nHost: x\r\n"
		  . "Content-Type: application/json\r\n" . $framing->(length $inside) . "\r\n$inside");
	my @statuses = $text =~ m{HTTP/1\.1 (\d{3}) }g;
	my $r = AuthoobTest::Front::parse_response($text);
	is_deeply(\@statuses, [400], "$name: one answer, a 400");
	is_deeply($r->{json}, { code => 400, message => 'Content-Length and Transfer-Encoding together' },
		"$name: a JSON error that says why");
	is($r->{headers}{'content-type'}, 'application/json', "$name: as JSON");
	is($r->{headers}{connection}, 'close', "$name: Connection: close");
	ok($closed, "$name: and the connection is closed");
	is(users_named($email), 0, "$name: the hidden request never reached the database");
}

# libmicrohttpd frames chunked only: another coding has no length it can read.
my ($text, $closed) = exchange("POST /authoob/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	  . "Transfer-Encoding: gzip\r\n\r\n" . register_request('smuggled3@example.com'));
my $r = AuthoobTest::Front::parse_response($text);
is_deeply([ $r->{status}, $r->{json} ], [ 400, { code => 400, message => 'Transfer-Encoding other than chunked' } ],
	'Transfer-Encoding: gzip: a 400');
ok($closed, 'Transfer-Encoding: gzip: the connection is closed');
is(users_named('smuggled3@example.com'), 0, 'Transfer-Encoding: gzip: nothing after it is run');

# libmicrohttpd reads the first of repeated fields: two Transfer-Encoding
# fields (one list, "chunked, gzip", whose last coding is not chunked) or
# two Content-Length fields are refused too, and nothing after them runs.
my $small = '{"email": "a@example.com"}';
for my $case (
	[ 'two Transfer-Encoding fields', 'smuggled4@example.com', 'Transfer-Encoding other than chunked',
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n"
		  . sprintf('%x', length $small) . "\r\n$small\r\n0\r\n\r\n" ],
	[ 'two Content-Length fields', 'smuggled5@example.com', 'Content-Length given more than once',
		'Content-Length: ' . length($small) . "\r\nContent-Length: 0\r\n\r\n$small" ])
{
	my ($name, $email, $message, $framing) = @$case;
	my ($text, $closed) = exchange("POST /authoob/password/ask HTTP/1.1\r\nHost: x\r\n"
		  . "Content-Type: application/json\r\n$framing" . register_request($email));
	my $r = AuthoobTest::Front::parse_response($text);
	is_deeply([ $r->{status}, $r->{json} ], [ 400, { code => 400, message => $message } ], "$name: a 400");
	ok($closed, "$name: the connection is closed");
	is(users_named($email), 0, "$name: nothing after it is run");
}

# Framed one way only, requests still share a kept-alive connection.
my $chunked = json_encode({ email => 'chunked@example.com', password1 => $password, password2 => $password });
($text, $closed) = exchange("POST /authoob/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	  . "Transfer-Encoding: chunked\r\n\r\n" . sprintf('%x', length $chunked) . "\r\n$chunked\r\n0\r\n\r\n"
	  . register_request('pipelined@example.com') . "GET /authoob/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
is_deeply([ $text =~ m{HTTP/1\.1 (\d{3}) }g ], [ 200, 200, 200 ],
	'a chunked request and two more in one write: three answers');
is(users_named('chunked@example.com') + users_named('pipelined@example.com'), 2, 'both registrations ran');

unlike($front->log, qr/error: /, 'no error in the front log');
is($front->stop('TERM'), 0, 'stops');

done_testing();
