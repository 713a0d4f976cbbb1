# A single-page app in headless Chromium (Debian's chromium, driven by
# puppeteer-core as pinned in t/js/package-lock.json) uses @supabase/auth-js
# from a page on another origin against authoob's Supabase Auth routes
# (t/js/chromium_flow.mjs): signs up, signs in, reloads with the session
# kept in localStorage, refreshes and signs out, through CORS; then adds a
# second factor, shows its QR code, verifies a code (oathtool's) and
# removes it; signs in by a magic link (PKCE), the real mail's link
# followed in the browser; then signs in anonymously.
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
skip_all_missing('oathtool is not installed (Debian: apt-get install oathtool)')
  unless system('command -v oathtool >/dev/null 2>&1') == 0;
unless (-e "$js/node_modules/puppeteer-core/package.json" && -e "$js/node_modules/\@supabase/auth-js/package.json")
{
	fail('puppeteer-core and @supabase/auth-js are installed in t/js (npm ci --prefix t/js)');
	done_testing();
	exit;
}

# a free port for the page's own origin
my $probe = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die "listen: $!";
my $page_port = $probe->sockport;
close $probe;

my $db = new_database();
# the app's origin is the page's: CORS lets it call authoob
psql($db, qq{SELECT authoob_configure('{"app_url": "http://127.0.0.1:$page_port/", "anonymous_signin": true}')});
my $sink = start_mail_sink();
my $front = AuthoobTest::Front->start(db => $db,
	args => [ '--smtp-url', 'smtp://127.0.0.1:' . $sink->port, '--mail-sweep', 1 ]);
my $api = 'http://127.0.0.1:' . $front->port . '/auth/v1';
psql($db, sprintf(q{SELECT authoob_configure('{"api_url": "http://127.0.0.1:%d"}')}, $front->port));

my $checks = node_checks('Chromium', $node, "$js/chromium_flow.mjs", $api, $page_port, 'page@example.com', strong_password(),
	"$sink->{maildir}");
is($checks, 13, 'every check of the page ran');
like(join("\n", $front->access_lines), qr{OPTIONS /auth/v1/token 204}, 'the browser asked CORS first');
like(join("\n", $front->access_lines), qr{DELETE /auth/v1/factors/[0-9a-f-]{36} 200}, 'and removed the factor through it');
is(psql($db, 'SELECT count(*) FROM authoob.sessions s JOIN authoob.users u ON u.id = s.user_id'
	  . q{ WHERE u.email = 'page@example.com' AND s.refresh_secret IS NOT NULL}), 0,
	'signed out: no session of the page left');
is(psql($db, 'SELECT count(*) FROM authoob.users WHERE email IS NULL'), 1, 'one anonymous user made by the page');

done_testing();
