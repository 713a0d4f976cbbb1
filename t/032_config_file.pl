# The configuration file (docs/operations.md "Configuration file"):
# authoob-http --config FILE takes the options of the command line, one a
# line, through the same parser; a wrong line stops it, naming the file and
# the line; flags win over the file; SIGHUP reads the file again and applies
# its log level without dropping a connection, and keeps the options in
# force when the file has become wrong.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use IO::Socket::INET;
use Test::More;

my $config = File::Temp->new(SUFFIX => '.conf');
sub write_config
{
	open(my $fh, '>', $config->filename) or die;
	print $fh @_;
	close $fh;
}

# --- wrong files: exit 2, the file and the line named
write_config("# a comment\n\nlisten = 127.0.0.1:0\n  colour = blue\n");
my ($status, $out) = AuthoobTest::run_front('--config', $config->filename);
is($status, 2, 'an unknown option in the file: exit 2');
like($out, qr/\Aauthoob-http: \Q@{[ $config->filename ]}\E:4: unknown option/, 'its file and line named');
write_config("threads = many\n");
($status, $out) = AuthoobTest::run_front('--config', $config->filename);
is($status, 2, 'a wrong value in the file: exit 2');
like($out, qr/invalid value "many" for --threads.*\n.*line 1\)/, 'the same message as the flag, and where');
write_config("smtp-tls = maybe\n");
($status, $out) = AuthoobTest::run_front('--config', $config->filename);
like($out, qr/:1: this option takes yes or no/, 'a flag without value takes yes or no');
write_config("help\n");
($status, $out) = AuthoobTest::run_front('--config', $config->filename);
is($status, 2, 'help is no option of a file');
($status, $out) = AuthoobTest::run_front('--config', '/nonexistent/authoob-http.conf');
like($out, qr/cannot read \/nonexistent/, 'a file that is not there: said');

# --- a running front: the file's options, the flags over them
my $db = new_database();
write_config(<<'EOF');
# two connections per client, unless the command line says otherwise
max-client-connections = 2
log-level = info
smtp-tls = no
EOF
my $front = AuthoobTest::Front->start(db => $db,
	args => ['--config', $config->filename, '--max-client-connections', 3]);
like($front->log, qr/3 per client address/, 'the flag wins over the file');
is($front->register('ada@example.com')->{status}, 200, 'it serves');
ok(scalar(grep { m{POST /authoob/register 200} } $front->access_lines(1)), 'its access line: log-level info');

# --- SIGHUP: the file's new log level, the connection kept
my $kept = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $front->port) or die;
write_config("max-client-connections = 2\nlog-level = warning\n");
kill 'HUP', $front->pid;
ok(wait_until(sub { $front->log =~ /received SIGHUP, reloading/ }), 'SIGHUP reloads');
is($front->login('ada@example.com')->{status}, 200, 'a sign-in after it');
sleep 0.5;
ok(!grep({ m{POST /authoob/login} } $front->access_lines), 'no access line: the log level is warning now');
print $kept "GET /authoob/.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
like(do { local $/; <$kept> } // '', qr{\AHTTP/1\.1 200}, 'a connection opened before the reload is still served');

# --- a file become wrong: refused, the options in force kept
write_config("log-level = loud\n");
kill 'HUP', $front->pid;
ok(wait_until(sub { $front->log =~ /nothing reloaded/ }), 'a wrong file at a reload is refused whole');
is($front->request(GET => '/.well-known/jwks.json')->{status}, 200, 'and the front serves on');

is($front->stop('TERM'), 0, 'the front stops cleanly');
done_testing();
