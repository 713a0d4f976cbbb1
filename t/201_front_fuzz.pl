# The request fuzzer of authoob-http (frontend/fuzz/, libFuzzer with ASan and
# UBSan) for 20 seconds over its saved corpus: passes iff libFuzzer exits 0,
# that is, no crash, leak, hang or breach of the contract the harness checks.
# A failing input is left in frontend/fuzz/artifacts/ to replay.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AuthoobTest;
use Test::More;

my @path = split /:/, $ENV{PATH};
skip_all_missing('neither clang nor clang-14 is installed (scripts/install-deps.sh installs clang-14)')
  unless grep { my $dir = $_; grep { -x "$dir/$_" } qw(clang clang-14) } @path;

# prove shows only the first line of a bail-out's reason: the compiler's and
# the linker's messages (a missing sanitizer runtime, say) go to diag
my $built = `make -s -C frontend/fuzz 2>&1`;
is($?, 0, 'the harness builds')
  or do { diag($built); BAIL_OUT('make -C frontend/fuzz failed, as printed above') };

my $out = `frontend/fuzz/run.sh 20 2>&1`;
my $status = $? >> 8;
my ($runs) = $out =~ /stat::number_of_executed_units: (\d+)/;
is($status, 0, 'libFuzzer found nothing') or diag(findings($out));
# how many it ran in its 20 s is a figure of the machine's speed
cmp_ok($runs // 0, '>', 0, 'it ran requests');
diag('libFuzzer ran ' . ($runs // 0) . ' requests');

done_testing();

# What libFuzzer said of its finding; or, when it said nothing of the kind
# (the harness did not even start), the end of its output.
sub findings
{
	my @lines = split /\n/, shift;
	my @found = grep { /^fuzz_request\.c:|ERROR|SUMMARY|request:|Test unit written/ } @lines;
	my $from = @lines > 20 ? @lines - 20 : 0;
	return join "\n", @found ? @found : @lines[ $from .. $#lines ];
}
