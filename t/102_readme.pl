# The SQL tour is real: every ```sql block of docs/sql-api.md runs, in
# order, in one psql session on a fresh database, without an error.
use strict;
use warnings;
use Test::More;

my $tour_file = 'docs/sql-api.md';
open(my $fh, '<', $tour_file) or BAIL_OUT("$tour_file: $!");
my $tour = do { local $/; <$fh> };
close $fh;
my @blocks = $tour =~ /^```sql\n(.*?)^```$/msg;
cmp_ok(scalar(@blocks), '>=', 5, 'the SQL tour has SQL examples');

my $db = "authoob_t_readme_$$";
system('createdb', $db) == 0 or BAIL_OUT('createdb failed');

my $script = "/tmp/authoob_readme_$$.sql";
open(my $out, '>', $script) or die $!;
print $out join("\n", @blocks);
close $out;

my $output = `psql -X -d $db -v ON_ERROR_STOP=1 -f $script 2>&1`;
is($?, 0, 'every SQL block of the tour runs without error') or diag($output);
like($output, qr/NOTICE:  PT401 Authentication failed/, 'the error example shows PT401');
like($output, qr/"email": "a\@b.io"/, 'the profile example shows the user');
like($output, qr/authoob_verify\s*\n-+\s*\n\s*1\n/, 'the token verifies to user 1');

is(`psql -X -At -d $db -c "SELECT owner_id, body FROM notes"`, "1|only mine\n",
   'the RLS example stored a note owned by the authenticated user');

unlink $script;
system('dropdb', $db);
done_testing();
