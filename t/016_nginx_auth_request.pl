# nginx in front, with auth_request to P/verify (docs/http-api.md, forward auth):
# a request with a valid token reaches the upstream with the user's id and
# roles as headers nginx sets from the answer; without a token, or with a
# logged-out one, nginx answers 401 and the upstream is never asked. The
# upstream is nginx itself (a location that echoes what it received), and
# the front trusts nginx (--trusted-proxy) to name the client, which comes
# from 127.0.0.3.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use HTTP::Tiny;
use IO::Socket::INET;
use POSIX ':sys_wait_h';
use Test::More;
use Time::HiRes qw(sleep time);

my ($nginx_binary) = grep { -x } map { "$_/nginx" } split(/:/, $ENV{PATH}), '/usr/sbin';
skip_all_missing('nginx is not installed (scripts/install-deps.sh installs it)') unless $nginx_binary;

my $db = new_database();
my $front = AuthoobTest::Front->start(db => $db, args => ['--trusted-proxy', '127.0.0.1/32']);
my $token = register_user($front, 'nginx@example.com');
psql($db, q{SELECT authoob_create_role('editor');
	SELECT authoob_grant_role(id, 'editor') FROM authoob.users WHERE email = 'nginx@example.com'});
my $id = psql($db, q{SELECT id FROM authoob.users WHERE email = 'nginx@example.com'});

# A port nobody listens on now, for nginx to take.
sub free_port
{
	my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1)
	  or die "probe: $!";
	return $probe->sockport;
}

# A running nginx, stopped when the object goes (the end of the test, a die).
package NginxGuard
{
	use POSIX ':sys_wait_h';
	use Time::HiRes qw(sleep time);

	sub new { my ($class, $pid) = @_; bless { pid => $pid }, $class }

	# Stops it (TERM, then KILL after 10 s); its exit status, or undef.
	sub stop
	{
		my ($self) = @_;
		return $self->{exit} if exists $self->{exit} || !$self->{pid};
		kill 'TERM', $self->{pid};
		my $deadline = time + 10;
		while (time < $deadline)
		{
			return $self->{exit} = $? >> 8 if waitpid($self->{pid}, WNOHANG) == $self->{pid};
			sleep 0.05;
		}
		kill 'KILL', $self->{pid};
		waitpid($self->{pid}, 0);
		return $self->{exit} = undef;
	}

	sub DESTROY { local $?; $_[0]->stop }
}

my $dir = File::Temp->newdir;
my $port = free_port();
my $front_port = $front->port;
mkdir "$dir/$_" for qw(body proxy fastcgi uwsgi scgi);
open(my $conf, '>', "$dir/nginx.conf") or die;
print $conf <<"EOF";
daemon off;
user root;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 64; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;

    server {
        listen 127.0.0.1:$port;

        # The application: only for a token that verifies, and told whom.
        location /app/ {
            auth_request /_verify;
            auth_request_set \$user_id \$upstream_http_x_auth_user_id;
            auth_request_set \$user_roles \$upstream_http_x_auth_user_roles;
            proxy_set_header X-User-Id \$user_id;
            proxy_set_header X-User-Roles \$user_roles;
            proxy_pass http://127.0.0.1:$port/upstream/;
        }

        # authoob-http answers 200 with X-Auth-* headers, or 401.
        location = /_verify {
            internal;
            proxy_pass http://127.0.0.1:$front_port/authoob/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }

        # The upstream: says what it received, and logs each visit.
        location /upstream/ {
            access_log $dir/upstream.log;
            return 200 "user=\$http_x_user_id roles=\$http_x_user_roles\\n";
        }
    }
}
EOF
close $conf;

my $pid = fork // die "fork: $!";
if ($pid == 0)
{
	open(STDOUT, '>>', "$dir/stderr.log") or POSIX::_exit(127);
	open(STDERR, '>>', "$dir/stderr.log") or POSIX::_exit(127);
	exec($nginx_binary, '-p', "$dir", '-e', "$dir/error.log", '-c', "$dir/nginx.conf") or POSIX::_exit(127);
}
my $nginx = NginxGuard->new($pid);
END { local $?; $nginx->stop if $nginx }	# keeps the exit status

my $deadline = time + 10;
until (IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp', Timeout => 1))
{
	BAIL_OUT("nginx did not start:\n" . `cat $dir/stderr.log $dir/error.log`)
	  if time > $deadline || waitpid($pid, WNOHANG) == $pid;
	sleep 0.05;
}

my $http = HTTP::Tiny->new(timeout => 10, local_address => '127.0.0.3');
sub get
{
	my (%headers) = @_;
	return $http->get("http://127.0.0.1:$port/app/page", { headers => \%headers });
}
sub upstream_visits { open(my $fh, '<', "$dir/upstream.log") or return 0; my @l = <$fh>; scalar @l }

my $r = get('Authentication-Token' => $token);
is($r->{status}, 200, 'a valid token: nginx lets the request through');
is($r->{content}, "user=$id roles=editor\n", 'the upstream receives the user id and roles from the answer');
$r = get(Authorization => "Bearer $token", 'X-User-Id' => '999');
is($r->{content}, "user=$id roles=editor\n", 'Bearer too; a forged X-User-Id is overwritten');
is(upstream_visits(), 2, 'the upstream was visited twice');

$r = get('X-User-Id' => $id);
is($r->{status}, 401, 'no token: nginx answers 401');
is($r->{headers}{'www-authenticate'}, 'Bearer', 'with the challenge from authoob-http');
is($front->request(POST => '/logout', token => $token)->{status}, 204, 'logging out');
is(get('Authentication-Token' => $token)->{status}, 401, 'a logged-out token: 401');
is(get('Authentication-Token' => 'garbage')->{status}, 401, 'a bad token: 401');
is(upstream_visits(), 2, 'and the upstream was never reached for them');

# register, five verifications, logout
my @verify = grep { m{ /authoob/verify } } $front->access_lines(7);
is(scalar(@verify), 5, 'authoob-http answered each of the five requests');
is_deeply([ map { m{ (\S+)$} } @verify ], [ ('127.0.0.3') x 5 ],
	'and logged the client nginx vouched for, not nginx');

is($nginx->stop, 0, 'nginx stops');
is($front->stop('TERM'), 0, 'authoob-http stops');

done_testing();
