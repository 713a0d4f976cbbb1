# The docs' examples are real.  Every ```sql block of docs/sql-api.md (the
# SQL tour) runs, in order, in one psql session on a fresh database,
# without an error; so do the README's SQL taste, on a database of its own,
# and its curl taste, against a front of its own.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

sub blocks
{
	my ($file, $lang) = @_;
	open(my $fh, '<', $file) or BAIL_OUT("$file: $!");
	my $text = do { local $/; <$fh> };
	close $fh;
	return $text =~ /^```$lang\n(.*?)^```$/msg;
}

# The blocks, joined, run by psql -f on a fresh database: its output
sub run_sql
{
	my ($db, @blocks) = @_;
	system('createdb', $db) == 0 or BAIL_OUT('createdb failed');
	my $script = "/tmp/authoob_readme_$$.sql";
	open(my $out, '>', $script) or die $!;
	print $out join("\n", @blocks);
	close $out;
	my $output = `psql -X -d $db -v ON_ERROR_STOP=1 -f $script 2>&1`;
	my $status = $?;
	unlink $script;
	return ($status, $output);
}

# --- the SQL tour
my @tour = blocks('docs/sql-api.md', 'sql');
cmp_ok(scalar(@tour), '>=', 13, 'the SQL tour has its SQL examples');
my $db = "authoob_t_readme_$$";
my ($status, $output) = run_sql($db, @tour);
is($status, 0, 'every SQL block of the tour runs without error') or diag($output);
like($output, qr/NOTICE:  PT401 Authentication failed/, 'the error example shows PT401');
like($output, qr/"email": "a\@b.io"/, 'the profile example shows the user');
like($output, qr/authoob_verify\s*\n-+\s*\n\s*1\n/, 'the token verifies to user 1');
is(`psql -X -At -d $db -c "SELECT owner_id, body FROM notes"`, "1|only mine\n",
   'the RLS example stored a note owned by the authenticated user');
system('dropdb', $db);

# --- the README's SQL taste
my @taste = blocks('README.md', 'sql');
is(scalar(@taste), 1, 'the README has its SQL taste');
($status, $output) = run_sql("${db}_taste", @taste);
is($status, 0, "the README's SQL taste runs without error") or diag($output);
like($output, qr/email\s*\n-+\s*\n\s*ada\@example\.com\n/, 'it shows the profile of the user it registered');
like($output, qr/user_id\s*\n-+\s*\n\s*1\n/, 'its token verifies to that user');
system('dropdb', "${db}_taste");

# --- the README's curl taste, against a front of its own instead of run.sh's
my @curl = grep { /\bcurl / } blocks('README.md', 'sh');
is(scalar(@curl), 1, 'the README has its curl taste');
my $front = AuthoobTest::Front->start(db => new_database());
(my $script = $curl[0]) =~ s{http://127\.0\.0\.1:8080}{'http://127.0.0.1:' . $front->port}ge;
open(my $shell, '-|', 'bash', '-e', '-c', $script) or die "bash: $!";
$output = do { local $/; <$shell> };
close $shell;
is($?, 0, "the README's curl taste runs without error") or diag($output);
like($output, qr/\{"token": ?"[^"]+"\}/, 'the registration answers a token');
# curl adds no newline: the answers follow each other on one line
my $profile = (split /(?<=\})\s*(?=\{)/, $output)[-1];
is(eval { json_decode($profile)->{email} }, 'me@example.com', 'the last answer is the profile of the user it registered')
  or diag($output);

done_testing();
