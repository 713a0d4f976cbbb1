# Sign-in with a real OpenID Connect provider nobody here wrote: the npm
# package oidc-provider (pinned in t/js/package-lock.json), authoob its
# client, driven end to end in headless Chromium (t/js/oidc_flow.mjs): the
# app's page calls auth-js signInWithOAuth, the browser passes the
# provider's login and consent, comes back through G/callback, and the page
# exchanges the code (exchangeCodeForSession), reads the user and the
# session's amr.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use IO::Socket::INET;
use Test::More;

my $js = "$FindBin::Bin/js";
my $node = $ENV{NODE} // 'node';
my $chromium = $ENV{CHROMIUM} // '/usr/bin/chromium';
skip_all_missing("no $node (Debian: apt-get install nodejs npm)")
  unless system("command -v '$node' >/dev/null 2>&1") == 0;
skip_all_missing("no $chromium (Debian: apt-get install chromium)") unless -x $chromium;
unless (-e "$js/node_modules/oidc-provider/package.json" && -e "$js/node_modules/puppeteer-core/package.json")
{
	fail('oidc-provider and puppeteer-core are installed in t/js (npm ci --prefix t/js)');
	done_testing();
	exit;
}

sub free_port
{
	my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die "listen: $!";
	return $probe->sockport;
}
my ($page_port, $idp_port) = (free_port(), free_port());

my $db = new_database();
# the app's origin is the page's: CORS lets it call authoob
psql($db, qq{SELECT authoob_configure('{"app_url": "http://127.0.0.1:$page_port/"}')});
my $front = AuthoobTest::Front->start(db => $db);
my $api = 'http://127.0.0.1:' . $front->port . '/auth/v1';
# the provider sends the browser back to this front
my $api_url = 'http://127.0.0.1:' . $front->port;
psql($db, qq{SELECT authoob_configure('{"api_url": "$api_url"}')});
psql($db, qq{SELECT authoob_add_identity_provider('oidc', '{"kind": "oidc",
	"issuer": "http://127.0.0.1:$idp_port", "client_id": "authoob", "client_secret": "authoob-secret"}')});

my $checks = node_checks('Chromium and oidc-provider', $node, "$js/oidc_flow.mjs", $api, $page_port, $idp_port);
is($checks, 6, 'every check of the page ran');
is(psql($db, q{SELECT count(*) FROM authoob.identities WHERE provider = 'oidc' AND subject = 'alice'}),
	1, 'the identity at the provider is kept');
is(psql($db, q{SELECT count(*) FROM authoob.oauth_flows}), 0, 'the flow is spent');
done_testing();
