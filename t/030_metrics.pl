# Metrics (docs/operations.md "Metrics"): authoob-http --metrics-listen
# serves Prometheus' text format on GET /metrics, and its counters move as
# requests do: requests by family and status, their latency histogram, 429s
# by route, connections cut by the limits, the pool, mail deliveries and
# the outbox's depth, the signing key's age. promtool, when installed
# (Debian's prometheus package), finds the exposition valid.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use File::Temp ();
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;

my $db = new_database();
# a budget of three hashes per client: two registrations and a sign-in,
# then a third registration is refused (429)
psql($db, q{SELECT authoob_configure('{"client_hashes_per_window": 3}')});

# a mail server that refuses every connection: each delivery is a retry
my $closed = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die;
my $smtp_port = $closed->sockport;
close $closed;

my $front = AuthoobTest::Front->start(db => $db, args => ['--metrics-listen', '127.0.0.1:0',
	'--max-client-connections', 2, '--pool', 3, '--smtp-url', "smtp://127.0.0.1:$smtp_port",
	'--mail-sweep', 1]);
my ($metrics_port) = $front->log =~ m{metrics served at http://127\.0\.0\.1:(\d+)/metrics};
ok($metrics_port, 'the front says where its metrics are served') or BAIL_OUT('no metrics');
my $http = HTTP::Tiny->new(timeout => 30);

# The exposition, as { 'name{labels}' => value }; in list context also the answer.
sub scrape
{
	my $r = $http->get("http://127.0.0.1:$metrics_port/metrics");
	die "GET /metrics: $r->{status}" unless $r->{status} == 200;
	my %m = map { /^(.+) (\S+)$/ ? ($1 => $2) : () } grep { !/^#/ } split /\n/, $r->{content};
	return wantarray ? (\%m, $r) : \%m;
}

my ($before, $answer) = scrape();
like($answer->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4}, 'served as Prometheus text 0.0.4');
is($before->{'authoob_pool_connections'}, 3, 'the pool size: --pool');
is($before->{'authoob_build_info{version="0.1.0"}'}, 1, 'the version');
is($http->get("http://127.0.0.1:$metrics_port/other")->{status}, 404, 'any other path: 404');

# --- requests move the counters
# three addresses whose hashes count in one budget (sharded: one partition's)
my ($ada, $bea, $cid) = same_partition($db, email => 'ada@example.com', 3,
	sub { $_[0] == 1 ? 'ada@example.com' : "user$_[0]\@example.com" });
is($front->register($ada)->{status}, 200, 'a registration');
is($front->register($bea)->{status}, 200, 'another');
is($front->login($ada)->{status}, 200, 'a sign-in');
is($front->register($cid)->{status}, 429, 'the budget refuses a third hash');
is($front->request(GET => '/nowhere')->{status}, 404, 'an unknown route');
is($http->get('http://127.0.0.1:' . $front->port . '/auth/v1/settings')->{status}, 200,
	"Supabase Auth's settings");

# over --max-client-connections: the third connection is cut
my @held = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $front->port) or die } 1 .. 3;
ok(wait_until(sub { scrape()->{'authoob_http_connections_cut_total{reason="client_limit"}'} >= 1 }),
	'a connection over the per-client limit is counted as cut');
close $_ for @held;

my $after;
ok(wait_until(sub { ($after) = scrape();
	$after->{'authoob_http_requests_total{family="authoob",code="200"}'} >= 3 }),
	'the requests are counted once answered');
sub moved { ($after->{$_[0]} // 0) - ($before->{$_[0]} // 0) }
is(moved('authoob_http_requests_total{family="authoob",code="200"}'), 3, '200s: two registrations and a sign-in');
is(moved('authoob_http_requests_total{family="authoob",code="429"}'), 1, 'the 429');
is(moved('authoob_http_requests_total{family="authoob",code="404"}'), 1, 'the 404');
is(moved('authoob_http_requests_total{family="gotrue",code="200"}'), 1, "Supabase Auth's family apart");
is(moved('authoob_http_throttled_total{family="authoob",route="POST /register"}'), 1,
	'the 429 by route: which limit of registrations refused')
  or diag(join "\n", grep { /throttled/ } sort keys %$after);
cmp_ok(moved('authoob_http_request_duration_seconds_count{family="authoob"}'), '>=', 5,
	'the latency histogram counts them');
is($after->{'authoob_http_request_duration_seconds_bucket{family="authoob",le="+Inf"}'},
	$after->{'authoob_http_request_duration_seconds_count{family="authoob"}'}, 'its +Inf bucket is its count');
cmp_ok($after->{'authoob_http_request_duration_seconds_sum{family="authoob"}'}, '>', 0, 'and its sum grows');
is($after->{'authoob_pool_connections_busy'}, 0, 'no connection busy between requests');

# --- mail: two activation mails queued; each delivery to the closed server a retry
ok(wait_until(sub { scrape()->{'authoob_mail_deliveries_total{outcome="retry"}'} >= 1 }, 30),
	'a delivery that failed, to be tried again, is counted');
my ($mail) = scrape();
is($mail->{'authoob_mail_queue_pending'} + $mail->{'authoob_mail_queue_sending'}, 2,
	'the outbox depth: the two activation mails, not yet sent');
is($mail->{'authoob_database_scrape_ok'}, 1, 'read from authoob_metrics()');
ok(!exists $mail->{'authoob_signing_key_age_seconds'}, 'no key age under HS256: the secret has no date');

# --- an asymmetric key has an age
psql($db, q{SELECT authoob_configure('{"signing_alg": "ES256"}')});
my ($keyed) = scrape();
cmp_ok($keyed->{'authoob_signing_key_age_seconds'} // -1, '>=', 0, 'ES256: the signing key has an age');
cmp_ok($keyed->{'authoob_signing_key_age_seconds'} // 1e9, '<', 600, 'of the moment it was made');

# --- the exposition is valid
my (undef, $text) = scrape();
my @malformed = grep { !/^# (HELP|TYPE) \w+ / && !/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$/ }
  split /\n/, $text->{content};
is_deeply(\@malformed, [], 'every line is a comment or a sample');
SKIP:
{
	skip 'promtool is not installed (Debian package prometheus)', 1
	  unless system('which promtool >/dev/null 2>&1') == 0;
	my $file = File::Temp->new;
	print $file $text->{content};
	close $file;
	my $out = `promtool check metrics < @{[ $file->filename ]} 2>&1`;
	is($?, 0, 'promtool check metrics finds it valid') or diag($out);
}

# --- the Grafana dashboard's queries parse, as recording rules would
SKIP:
{
	skip 'promtool is not installed (Debian package prometheus)', 1
	  unless system('which promtool >/dev/null 2>&1') == 0;
	my $dashboard = json_decode(do { local (@ARGV, $/) = ("$FindBin::Bin/../docs/grafana-authoob.json"); <> });
	my @exprs = map { map { $_->{expr} } @{ $_->{targets} } } @{ $dashboard->{panels} };
	my $rules = File::Temp->new(SUFFIX => '.yml');
	print $rules "groups:\n- name: dashboard\n  rules:\n";
	printf $rules "  - record: dashboard:query%d\n    expr: %s\n", $_, json_encode($exprs[$_]) for 0 .. $#exprs;
	close $rules;
	my $out = `promtool check rules @{[ $rules->filename ]} 2>&1`;
	is($?, 0, scalar(@exprs) . " queries of docs/grafana-authoob.json parse (promtool check rules)") or diag($out);
}

is($front->stop('TERM'), 0, 'the front stops cleanly');
done_testing();
