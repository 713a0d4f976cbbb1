# The access log holds what a client sent only as printable ASCII: a method
# or a path with a terminal escape sequence or a line break in it is logged
# with '?' for each such byte, so that it can neither colour a terminal that
# shows the log nor forge a line of it.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;
use Time::HiRes qw(sleep time);

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db);

is($front->raw("\e[31mGET /authoob/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")->{status}, 405,
	'a method with an escape sequence is a method like any unknown one');
is($front->raw("GET /authoob/%1B[2J%0Dinfo:%20forged HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")->{status},
	404, 'a path with an escape sequence and a carriage return: not found');

# A line is written once the response is out: the last one may lag a little.
my $deadline = time + 5;
sleep 0.05 until (() = $front->log =~ /access: /g) >= 2 || time > $deadline;
my $log = $front->log;
like($log, qr{access: \?\[31mGET /authoob/health 405 }, "the method is logged with '?' for ESC");
like($log, qr{access: GET /authoob/\?\[2J\?info:\?forged 404 }, "the path likewise, its CR and space too");
unlike($log, qr/[\x00-\x09\x0b-\x1f\x7f]/, 'no control byte anywhere in the log');
is($front->stop('TERM'), 0, 'stops');

done_testing();
